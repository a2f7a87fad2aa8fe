import type { RecordRange } from './record-range.js';
import { rangeOf } from './repeated-records.js';

/**
 * What the history holds of one source: the audit ids its records span, and the record
 * cited from its highest byte offset (audit id + offset). A resumed input must still hold
 * that record at that offset (resume-continuity.ts); another input must not repeat the span
 * (repeated-records.ts). Kept in the source's own row (schema/004-source-records.sql), so
 * reading it costs a row per source, not a scan of every stored row.
 */
export interface SourceEvidence {
  id: number;
  path: string;
  range?: RecordRange;
  last?: { rec: string; off: number };
  /** Process events stored from it (undefined: ingested before they were counted). */
  count?: number;
}

/** The record columns of a `sources` row (schema/004-source-records.sql). */
export interface SourceRecordColumns {
  first_rec?: unknown;
  last_rec?: unknown;
  tail_rec?: unknown;
  tail_off?: unknown;
  record_count?: unknown;
}

/** A source's evidence from its row's record columns. */
export function evidenceOfRow(id: number, path: string, r: SourceRecordColumns): SourceEvidence {
  const out: SourceEvidence = { id, path };
  const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  const range = rangeOf(text(r.first_rec), text(r.last_rec));
  if (range !== undefined) out.range = range;
  if (typeof r.tail_rec === 'string' && r.tail_off !== null && r.tail_off !== undefined) out.last = { rec: r.tail_rec, off: Number(r.tail_off) };
  if (r.record_count !== null && r.record_count !== undefined) out.count = Number(r.record_count);
  return out;
}

/** The record columns' values for a source's evidence, in column order (first_rec, last_rec, tail_rec, tail_off, record_count). */
export function recordColumnValues(e: SourceEvidence | undefined): [string | null, string | null, string | null, number | null, number | null] {
  return [e?.range?.first.rec ?? null, e?.range?.last.rec ?? null, e?.last?.rec ?? null, e?.last?.off ?? null, e?.count ?? null];
}
