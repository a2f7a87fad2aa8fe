import type { IngestWarning, SourcePosition } from '../events/event-sink.js';

/**
 * Positions kept per reason: enough to open the log at the damage, bounded so that a log
 * that is all damage (a binary file given as a log, 20 GB of it) costs no memory per line.
 */
export const POSITIONS_PER_REASON = 3;

/** Damaged or unusable records of one ingest: how many by reason, and where the first few were. */
export class SkippedRecords {
  readonly counts: Record<string, number> = {};
  readonly firstAt: Record<string, SourcePosition[]> = {};

  add(w: IngestWarning): void {
    this.counts[w.reason] = (this.counts[w.reason] ?? 0) + 1;
    if (w.position === undefined) return;
    const at = (this.firstAt[w.reason] ??= []);
    if (at.length < POSITIONS_PER_REASON) at.push({ ...w.position });
  }
}

/** `audit.log:17` for line-oriented sources, `capture.cap:byte 4096` for datagrams. */
export function formatPosition(p: SourcePosition): string {
  return `${p.file}:${p.line ?? `byte ${p.offset}`}`;
}

/**
 * `4: malformed-line 3 (first at a.log:17, 40, ...), missing-timestamp 1 (at a.log:9)`, or
 * `none`: the total, then each reason with its count and the positions kept for it.
 */
export function formatSkipped(counts: Record<string, number>, firstAt: Record<string, SourcePosition[]> = {}): string {
  const reasons = Object.keys(counts).sort();
  if (reasons.length === 0) return 'none';
  let total = 0;
  const parts = reasons.map((reason) => {
    const n = counts[reason]!;
    total += n;
    const at = firstAt[reason] ?? [];
    if (at.length === 0) return `${reason} ${n}`;
    // The file once, then only the line (or byte) of later positions in the same file.
    const where = at.map((p, i) => (i > 0 && at[i - 1]!.file === p.file ? String(p.line ?? `byte ${p.offset}`) : formatPosition(p))).join(', ');
    return at.length < n ? `${reason} ${n} (first at ${where}, ...)` : `${reason} ${n} (at ${where})`;
  });
  return `${total}: ${parts.join(', ')}`;
}
