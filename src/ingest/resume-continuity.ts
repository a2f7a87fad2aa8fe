import type { FilePlaces } from '../sources/audit-ids-in-file.js';

const NEWLINE = 0x0a;

/**
 * Why a file recognised by its head as a source ingested before does not continue it, or
 * undefined when it does. The head hash alone says only that the first 4 KiB are the same:
 * an edited copy, or a log with other lines after its head, would be resumed mid-line and
 * lose or invent records. So the resume position must fall at a line start, and the record
 * the source's last stored evidence cites must be at the same offset in this file.
 */
export function continuityProblem(places: FilePlaces, committedOffset: number, last: { rec: string; off: number } | undefined): string | undefined {
  if (committedOffset > 0 && places.byteBefore !== NEWLINE) return `byte ${committedOffset}, where it would resume, is not at the start of a line`;
  if (last === undefined) return undefined;
  if (places.line === undefined || !places.line.includes(`msg=audit(${last.rec})`)) {
    return `the record audit(${last.rec}) stored from byte ${last.off} is not at byte ${last.off} of this file`;
  }
  return undefined;
}

/** A record line starts so (raw and enriched formats, with or without a `node=` prefix). */
const RECORD_START = /^(?:node=\S+ )?type=/;

/**
 * The check a stream (a .gz) allows, read from the resume position (`head`, its first
 * decompressed bytes there): they must begin a record. Its bytes before that position are
 * skipped without being kept, so the stored record cannot be looked for.
 */
export function streamContinuityProblem(head: Buffer, offset: number): string | undefined {
  if (offset === 0 || head.length === 0 || RECORD_START.test(head.subarray(0, 256).toString('latin1'))) return undefined;
  return `byte ${offset} (decompressed), where it would resume, is not at the start of a record`;
}
