/**
 * Audit ids (`SECONDS.MILLIS:SERIAL`) as points in a host's record order. Compared as
 * (seconds.millis, serial): the serial restarts at a boot, the time goes on; as strings
 * they would sort `:9` after `:10`. One rule for the ingest's spans (ingest/record-range.ts)
 * and the ids read from a file (sources/audit-ids-in-file.ts).
 */
export interface AuditPoint {
  ms: number;
  serial: number;
  /** The id as written. */
  rec: string;
}

const CH_0 = 48;
const CH_DOT = 46;
const CH_COLON = 58;
/** Digits read by arithmetic; longer runs go through Number() (exact rounding, as before). */
const EXACT_DIGITS = 15;

/** The number of the ASCII digits at [from, to): what Number() of that text gives. */
function digitsValue(rec: string, from: number, to: number): number {
  if (to - from > EXACT_DIGITS) return Number(rec.slice(from, to));
  let v = 0;
  for (let i = from; i < to; i++) v = v * 10 + (rec.charCodeAt(i) - CH_0);
  return v;
}

/** Index after the run of ASCII digits starting at `from`. */
function digitsEnd(rec: string, from: number): number {
  let i = from;
  for (let d = rec.charCodeAt(i) - CH_0; d >= 0 && d <= 9; d = rec.charCodeAt(++i) - CH_0);
  return i;
}

/**
 * `SECONDS.MMM:SERIAL` (exactly three digits of milliseconds, ASCII digits only, nothing
 * around it) as a point; undefined for anything else. Read by hand: it runs for every event
 * of an ingest, where a regular expression and three Number() calls were a visible cost.
 */
export function auditPoint(rec: string): AuditPoint | undefined {
  const secEnd = digitsEnd(rec, 0);
  if (secEnd === 0 || rec.charCodeAt(secEnd) !== CH_DOT) return undefined;
  const msEnd = digitsEnd(rec, secEnd + 1);
  if (msEnd !== secEnd + 4 || rec.charCodeAt(msEnd) !== CH_COLON) return undefined;
  const serialEnd = digitsEnd(rec, msEnd + 1);
  if (serialEnd === msEnd + 1 || serialEnd !== rec.length) return undefined;
  return { ms: digitsValue(rec, 0, secEnd) * 1000 + digitsValue(rec, secEnd + 1, msEnd), serial: digitsValue(rec, msEnd + 1, serialEnd), rec };
}

export function comparePoints(a: AuditPoint, b: AuditPoint): number {
  return a.ms !== b.ms ? a.ms - b.ms : a.serial - b.serial;
}

