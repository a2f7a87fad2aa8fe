import { comparePoints, type AuditPoint } from '../time/audit-point.js';

export { auditPoint, comparePoints, type AuditPoint } from '../time/audit-point.js';

/** The span of audit ids a source's records cover. */
export interface RecordRange {
  first: AuditPoint;
  last: AuditPoint;
}

/** The range widened to hold `p` (a new range when undefined). */
export function widen(range: RecordRange | undefined, p: AuditPoint): RecordRange {
  if (range === undefined) return { first: p, last: p };
  if (comparePoints(p, range.first) < 0) range.first = p;
  if (comparePoints(p, range.last) > 0) range.last = p;
  return range;
}

/**
 * How long (ms) the stretch two consecutive files share may be. auditd rotates between
 * records, so an event's records can be split over audit.log.2 and audit.log.1 (the last
 * id of one is the first of the next in /work/realdata/real-enriched-200:
 * 1796396320.968:237236), and a late record may sit just after the cut.
 */
export const BOUNDARY_SLACK_MS = 2000;

/**
 * True when `a` and `b` hold some of the same records: their spans meet, and not only as
 * one file ending where the next begins (the earlier starts and ends strictly before the
 * later, sharing at most BOUNDARY_SLACK_MS). A file that starts or ends with another's
 * first or last record, or lies inside it, repeats it (a concatenation, a copy, an extract).
 */
export function repeats(a: RecordRange, b: RecordRange): boolean {
  const lo = comparePoints(a.first, b.first) >= 0 ? a.first : b.first;
  const hi = comparePoints(a.last, b.last) <= 0 ? a.last : b.last;
  if (comparePoints(lo, hi) > 0) return false;
  // y follows x: starts and ends later, or holds nothing but the rest of x's last event
  // (a live audit.log just after the rotation that split it).
  const follows = (x: RecordRange, y: RecordRange): boolean =>
    comparePoints(x.first, y.first) < 0 && (comparePoints(x.last, y.last) < 0 || (comparePoints(y.first, y.last) === 0 && comparePoints(x.last, y.first) === 0));
  return !(hi.ms - lo.ms <= BOUNDARY_SLACK_MS && (follows(a, b) || follows(b, a)));
}
