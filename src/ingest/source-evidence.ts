import { auditPoint, widen, type RecordRange } from './record-range.js';

/**
 * What the history holds of one source: the audit ids its stored evidence spans, and the
 * record its last stored evidence cites (audit id + byte offset). A resumed input must still
 * hold that record at that offset (resume-continuity.ts); another input must not repeat the
 * span (repeated-records.ts).
 */
export interface SourceEvidence {
  id: number;
  path: string;
  range?: RecordRange;
  last?: { rec: string; off: number };
}

/** A row of the first/last evidence queries: source id, byte offset, audit id. */
export interface EvidenceRow {
  src: unknown;
  off: unknown;
  rec: unknown;
}

/**
 * Evidence rows of every table that cites a record (instances' starts and ends, parents,
 * images), as (src, off, rec). Losses are left out: their id is the gap's, not a record's.
 */
export const EVIDENCE_ROWS = `
  SELECT start_src AS src, start_off AS off, start_rec AS rec FROM instances WHERE start_rec IS NOT NULL AND HOST
  UNION ALL SELECT end_src, end_off, end_rec FROM instances WHERE end_rec IS NOT NULL AND HOST
  UNION ALL SELECT src, off, rec FROM parents WHERE rec IS NOT NULL AND HOST
  UNION ALL SELECT src, off, rec FROM images WHERE rec IS NOT NULL AND HOST`;

/** Joins the first-by-offset and last-by-offset evidence rows of each source to its path. */
export function sourceEvidence(paths: ReadonlyMap<number, string>, firsts: readonly EvidenceRow[], lasts: readonly EvidenceRow[]): SourceEvidence[] {
  const out = new Map<number, SourceEvidence>();
  for (const [id, path] of paths) out.set(id, { id, path });
  for (const [rows, isLast] of [[firsts, false], [lasts, true]] as const) {
    for (const r of rows) {
      const s = out.get(Number(r.src));
      const p = auditPoint(String(r.rec));
      if (s === undefined || p === undefined) continue;
      s.range = widen(s.range, p);
      if (isLast) s.last = { rec: p.rec, off: Number(r.off) };
    }
  }
  return [...out.values()];
}
