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

const AUDIT_ID = /^(\d+)\.(\d{3}):(\d+)$/;

export function auditPoint(rec: string): AuditPoint | undefined {
  const m = AUDIT_ID.exec(rec);
  if (m === null) return undefined;
  return { ms: Number(m[1]) * 1000 + Number(m[2]), serial: Number(m[3]), rec };
}

export function comparePoints(a: AuditPoint, b: AuditPoint): number {
  return a.ms !== b.ms ? a.ms - b.ms : a.serial - b.serial;
}

