import type { IngestWarning, SourcePosition } from '../events/event-sink.js';

/** Damaged lines by reason, with where the first of each was: what enrich says on stderr. */
export class SkipCounts {
  private readonly counts = new Map<string, { n: number; first?: SourcePosition }>();

  add = (w: IngestWarning): void => {
    const c = this.counts.get(w.reason);
    if (c !== undefined) c.n++;
    else this.counts.set(w.reason, w.position === undefined ? { n: 1 } : { n: 1, first: w.position });
  };

  /** `malformed-line 2 (first: audit.log:17), oversized-line 1 (first: ...)`, or `none`. */
  toString(): string {
    if (this.counts.size === 0) return 'none';
    return [...this.counts.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([reason, c]) => `${reason} ${c.n}${c.first === undefined ? '' : ` (first: ${c.first.file}:${c.first.line ?? `byte ${c.first.offset}`})`}`)
      .join(', ');
  }
}
