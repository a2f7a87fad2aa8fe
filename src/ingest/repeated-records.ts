import { auditPoint, comparePoints, repeats, widen, type AuditPoint, type RecordRange } from './record-range.js';
import type { SourceEvidence } from './source-evidence.js';

interface Known {
  path: string;
  range: RecordRange;
}

/** Another source whose records an input repeats. */
export interface Repeated {
  path: string;
  range: RecordRange;
}

/**
 * The audit-id span of every source of the default host: as stored when the run began,
 * widened by what this run reads (the span probed when an input is opened, then each
 * event's id). An input whose span meets another source's repeats its records (a
 * concatenation of rotated logs, a copy, an ausearch extract of a log ingested before):
 * ingesting it would store every process twice, citing lines that do not exist. Audit
 * ids are unique per host, so two sources of one host never share one legitimately.
 */
export class RecordRanges {
  private readonly bySource = new Map<number, Known>();

  constructor(known: readonly SourceEvidence[]) {
    for (const s of known) if (s.range !== undefined) this.bySource.set(s.id, { path: s.path, range: { ...s.range } });
  }

  /** The earliest other source (not `self`) whose records `range` repeats. */
  repeated(range: RecordRange, self: number | undefined): Repeated | undefined {
    let found: Known | undefined;
    for (const [id, k] of this.bySource) {
      if (id === self || !repeats(range, k.range)) continue;
      if (found === undefined || comparePoints(k.range.first, found.range.first) < 0) found = k;
    }
    return found === undefined ? undefined : { path: found.path, range: found.range };
  }

  /** The source holds these records (probed at open, or an event read from it). */
  widen(src: number, path: string, p: AuditPoint): void {
    const k = this.bySource.get(src);
    if (k === undefined) this.bySource.set(src, { path, range: widen(undefined, p) });
    else widen(k.range, p);
  }
}

/** A span from the first and last audit ids found (either may be missing). */
export function rangeOf(first: string | undefined, last: string | undefined): RecordRange | undefined {
  const a = first === undefined ? undefined : auditPoint(first);
  const b = last === undefined ? undefined : auditPoint(last);
  if (a === undefined && b === undefined) return undefined;
  let r = widen(undefined, (a ?? b)!);
  if (b !== undefined) r = widen(r, b);
  return r;
}
