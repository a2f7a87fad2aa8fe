import { openInputs } from '../sources/open-inputs.js';
import { peekStream } from '../sources/peek-stream.js';
import { hashFilePrefix, newPrefixHash, skipHashing, type PrefixHash } from '../sources/prefix-hash.js';
import { ContentHash } from './content-hash.js';

import type { InputReport } from './ingest-summary.js';
import type { IngestSession } from './ingest-session.js';
import type { PlannedInput } from './plan-inputs.js';
import { sameContentNote, samePath } from './same-content-note.js';
import { contentMatches } from '../sources/content-matches.js';
import { firstAuditId, readFilePlaces } from '../sources/audit-ids-in-file.js';
import { continuityProblem, streamContinuityProblem } from './resume-continuity.js';
import { rangeOf } from './repeated-records.js';
import { comparePoints, repeats } from './record-range.js';
import type { RecordRange } from './record-range.js';
import { newReadSource, type ReadSource } from './read-source.js';
import { FULL_HEAD_BYTES, sha256, type SourceInfo, type SourceKey, type SourceRow } from './source-registry.js';

/** Bytes of a resumed stdin looked at before reading it (resume-continuity.ts). */
const STREAM_CHECK_BYTES = 4096;

/** One stream of an input, positioned where this run reads it from. */
export interface OpenedSource {
  rs: ReadSource;
  chunks: AsyncIterable<Buffer>;
}

/**
 * Opens one planned auditd input at its resume position, yielding each stream to read (a
 * zip yields its logs). What needs no reading is reported on the session and not yielded:
 * read to its end before and unchanged, shorter than what was ingested, or unreadable.
 */
export async function* openAuditdSource(session: IngestSession, input: PlannedInput, stdin?: NodeJS.ReadableStream, stdinName?: string): AsyncGenerator<OpenedSource> {
  if (input.unreadable !== undefined) {
    session.reports.push({ path: input.path, format: 'auditd', status: 'skipped', fromOffset: 0, bytes: 0, lines: 0, unread: input.unreadable, note: input.unreadable });
    session.warn({ reason: 'unreadable-input', detail: `${input.path}: ${input.unreadable}` });
    return;
  }
  const base: SourceInfo = { path: input.path };
  if (input.size !== undefined) base.size = input.size;
  if (input.dev !== undefined) base.dev = input.dev;
  if (input.inode !== undefined) base.inode = input.inode;
  const keyOf = (head: Buffer): SourceKey => ({ hostId: session.defaultHostId, format: 'auditd', headSha256: sha256(head), headBytes: head.length, head });
  if (input.path === '-') {
    for await (const opened of openInputs('-', stdin ? { stdin } : {})) {
      const key = keyOf(opened.head.subarray(0, FULL_HEAD_BYTES));
      const found = session.registry.find(key);
      // --source-name: the log's own name instead of `-` (a stdin's content is still known by its head).
      const name = stdinName ?? opened.name;
      const from = found?.committedOffset ?? 0;
      // Resumed: what comes at the resume point is checked as a .gz's is (a record must start
      // there), and what it skips must hash as what was ingested.
      const prefix = newPrefixHash();
      const at = from === 0 ? { head: opened.head, chunks: opened.chunks } : await peekStream(skipHashing(opened.chunks, from, found?.content, prefix), STREAM_CHECK_BYTES);
      const broken = found === undefined ? undefined : (streamContinuityProblem(at.head, from) ?? prefixProblem(found, prefix));
      const refusal = broken !== undefined ? notContinuing(name, found!, broken) : streamRefusal(session, name, at.head, found?.id);
      if (refusal !== undefined) {
        refuse(session, name, refusal);
        continue;
      }
      yield prepare(session, name, key, { ...base, path: name }, found, at.chunks, new ContentHash(prefix.hash, from));
    }
    return;
  }
  if (input.compression === 'zip') {
    const archive = sha256(input.head!);
    for await (const opened of openInputs(input.path)) {
      const entry = opened.name.slice(opened.name.indexOf('!/') + 2);
      // Entries ingested by earlier versions are known by archive + entry name; now by their
      // content's head, as a .gz is, so a zip of logs ingested plain (or the other way
      // round) is the same source, not a repeat of it.
      const byName: SourceKey = { hostId: session.defaultHostId, format: 'auditd', headSha256: sha256(`${archive}!/${entry}`), headBytes: FULL_HEAD_BYTES };
      const named = session.registry.find(byName);
      // Exact head only: an entry does not grow, so no search for sources recorded shorter
      // (that search, once per entry, made a 10,000-entry zip quadratic).
      const head = opened.head.subarray(0, FULL_HEAD_BYTES);
      const key: SourceKey = named !== undefined ? byName : { hostId: session.defaultHostId, format: 'auditd', headSha256: sha256(head), headBytes: head.length };
      const found = named ?? session.registry.find(key);
      // Known by name and read to its end: unchanged (a zip's entries do not grow). Known by
      // content: read on from where that source stopped (nothing, when it is the same log).
      if (named?.complete) {
        reportDone(session, opened.name, named);
        continue;
      }
      const from = found?.committedOffset ?? 0;
      const prefix = newPrefixHash();
      const at = from === 0 ? { head: opened.head, chunks: opened.chunks } : await peekStream(skipHashing(opened.chunks, from, found?.content, prefix), STREAM_CHECK_BYTES);
      const broken = found === undefined ? undefined : ((named !== undefined ? undefined : streamContinuityProblem(at.head, from)) ?? prefixProblem(found, prefix));
      const refusal = broken !== undefined ? notContinuing(opened.name, found!, broken) : found === undefined || named === undefined ? streamRefusal(session, opened.name, at.head, found?.id) : undefined;
      if (refusal !== undefined) {
        refuse(session, opened.name, refusal);
        continue;
      }
      yield prepare(session, opened.name, key, { ...base, path: opened.name }, found, at.chunks, new ContentHash(prefix.hash, from));
    }
    return;
  }
  // A .gz is known by its content's head, as the plain log it was before logrotate
  // compressed it; earlier versions keyed it by its compressed bytes: found that way too.
  const key = keyOf(input.contentHead ?? input.head!);
  let found = session.registry.find(key) ?? (input.contentHead === undefined ? undefined : session.registry.find(keyOf(input.head!)));
  let editedOf: SourceRow | undefined;
  const plain = input.compression === 'none';
  if (found !== undefined && !plain && found.complete && found.size !== input.size && found.content !== undefined && !samePath(input.path, found)) {
    // A .gz (or zip entry) of a log read to its end before under another name (audit.log.1,
    // then its compressed rotation): the same content whole is that log, nothing to read and
    // nothing to record (its row keeps the plain file's size); a longer one continues it.
    if (await contentMatches(input.path, found.content, true)) {
      reportDone(session, input.path, found, true);
      return;
    }
  }
  if (found !== undefined) {
    // Read to its end before and unchanged since: nothing to do (no need to decompress).
    if (found.complete && found.size === input.size) {
      // Same head and size is not yet the same file (an edited copy can keep both): the
      // record stored last must be in place, and its content must hash as what was ingested.
      const refusal = plain ? (await checkPlainLog(session, input, found, found.committedOffset, false)).refusal : undefined;
      if (refusal !== undefined) {
        refuse(session, input.path, refusal);
        return;
      }
      // A .gz is decompressed and hashed whole (it cannot be read at an offset anyway).
      const verified = found.content === undefined ? undefined : plain ? (await hashFilePrefix(input.path, 0, found.content)).matches === true : await contentMatches(input.path, found.content);
      if (verified !== false) {
        reportDone(session, input.path, found, verified);
        return;
      }
      if (samePath(input.path, found)) {
        refuse(session, input.path, changedRefusal(input.path, found));
        return;
      }
      // An edited copy of the same length: another source, checked as any new input; its
      // refusal (records repeating that source's) says it is an edited copy, not a copy.
      editedOf = found;
      found = undefined;
    } else if (plain && input.size !== undefined && input.size < found.committedOffset) {
      // Another source began with this file and read on past its end: stdin or a file that
      // held a concatenation (`cat audit.log.2 audit.log.1 audit.log | proc-tree ingest -`,
      // then the directory: audit.log.2 is the start of what `-` read). A repeat, not a shrink.
      const within = samePath(input.path, found) ? undefined : await prefixRefusal(session, input, input.size, found);
      if (within !== undefined) {
        refuse(session, input.path, within);
        return;
      }
      const note = `shorter than the ${found.committedOffset} bytes already ingested from it: not the same file any more?`;
      session.reports.push({ path: input.path, format: 'auditd', status: 'skipped', fromOffset: 0, bytes: 0, lines: 0, note });
      session.warn({ reason: 'input-shrank', detail: input.path });
      return;
    }
  }
  const from = found?.committedOffset ?? 0;
  const check = await checkPlainLog(session, input, found, from);
  if (check.refusal !== undefined) {
    refuse(session, input.path, editedOf !== undefined ? editedCopyRefusal(input.path, editedOf) : check.refusal);
    return;
  }
  // A plain log resumed: its first `from` bytes are hashed again (the content hash goes on
  // from there) and must hash as what was ingested.
  let prefix: PrefixHash = newPrefixHash();
  if (plain && found !== undefined && from > 0) {
    prefix = await hashFilePrefix(input.path, from, found.content);
    if (prefix.matches === false) {
      refuse(session, input.path, samePath(input.path, found) ? changedRefusal(input.path, found) : notContinuing(input.path, found, prefixProblem(found, prefix)!));
      return;
    }
  }
  // Compressed: decompressed from the start, what comes before `from` hashed as it is skipped.
  for await (const opened of openInputs(input.path, { startOffset: plain ? from : 0 })) {
    const at = plain || from === 0 ? { head: opened.head, chunks: opened.chunks } : await peekStream(skipHashing(opened.chunks, from, found?.content, prefix), STREAM_CHECK_BYTES);
    const broken = found === undefined || plain ? undefined : (streamContinuityProblem(at.head, from) ?? prefixProblem(found, prefix));
    const refusal = broken !== undefined ? notContinuing(input.path, found!, broken) : plain ? undefined : streamRefusal(session, input.path, at.head, found?.id);
    if (refusal !== undefined) {
      refuse(session, input.path, editedOf !== undefined && broken === undefined ? editedCopyRefusal(input.path, editedOf) : refusal);
      return;
    }
    const source = prepare(session, opened.name, key, base, found, at.chunks, new ContentHash(prefix.hash, from));
    // Read from here on: later inputs are checked against its span at once (its events widen it later).
    if (check.span !== undefined) for (const p of [check.span.first, check.span.last]) session.ranges.widen(source.rs.id, input.path, p);
    yield source;
  }
}

/**
 * Why a plain log must not be read into this history (undefined: read it): it does not
 * continue the source its head matched, or what it would add repeats another source's
 * records. Compressed inputs and stdin are not checked here (their bytes cannot be read
 * at an offset without decompressing up to it); events read from them still widen the
 * spans later inputs are checked against.
 */
async function checkPlainLog(session: IngestSession, input: PlannedInput, found: SourceRow | undefined, from: number, spans = true): Promise<{ refusal?: string; span?: RecordRange }> {
  if (input.compression !== 'none' || input.size === undefined) return {};
  const last = found === undefined ? undefined : session.registry.evidence(session.defaultHostId).find((s) => s.id === found.id)?.last;
  const at: { from: number; lineAt?: number } = { from };
  if (last !== undefined) at.lineAt = last.off;
  const places = await readFilePlaces(input.path, input.size, at);
  if (found !== undefined) {
    const problem = continuityProblem(places, from, last);
    if (problem !== undefined) {
      return { refusal: notContinuing(input.path, found, problem) };
    }
  }
  const range = spans ? rangeOf(places.first, places.last) : undefined;
  if (range === undefined) return {};
  const refusal = repeatRefusal(session, input.path, range, found?.id);
  return refusal === undefined ? { span: range } : { refusal };
}

/**
 * The refusal of a plain log of `size` bytes whose head is that of `found`, another source
 * that read more than `size` bytes, when its records (first and last audit ids) lie within
 * what the history holds of `found`: it was ingested as the start of `found`. Undefined
 * when its records are not `found`'s (the caller says it is shorter).
 */
async function prefixRefusal(session: IngestSession, input: PlannedInput, size: number, found: SourceRow): Promise<string | undefined> {
  const known = session.registry.evidence(session.defaultHostId).find((s) => s.id === found.id)?.range;
  const places = await readFilePlaces(input.path, size, { from: 0 });
  const mine = rangeOf(places.first, places.last);
  if (known === undefined || mine === undefined || !repeats(mine, known)) return undefined;
  const from = found.path === '-' ? "stdin ('-')" : found.path;
  const repeat = `${input.path} repeats records already ingested from ${from} (audit ids ${mine.first.rec}..${mine.last.rec}): it begins as that input did (the same first ${found.headBytes} bytes)`;
  // Its records end before that input's: its start, as the oldest of rotated logs piped in
  // joined is. Reaching its last records in fewer bytes: not a start (lines left out).
  if (comparePoints(mine.last, known.last) < 0) {
    return (
      `${repeat} and ends earlier (${size} of its ${found.committedOffset} bytes), as the oldest of rotated logs ingested joined does ` +
      `(cat audit.log.N ... audit.log | proc-tree ingest -); not ingested again: the history holds its records already (to look at it apart, ingest it into another --db)`
    );
  }
  return `${repeat} and holds records up to its last in fewer bytes (${size} of its ${found.committedOffset}): a cut or edited copy of it?; not ingested (to look at it apart, ingest it into another --db)`;
}

/** The refusal of an input recognised by its head as `found` that does not continue it. */
function notContinuing(path: string, found: SourceRow, problem: string): string {
  return `${path} starts like ${found.path} (the same first ${found.headBytes} bytes) but does not continue it: ${problem}; not ingested (an edited copy, or a log that went on differently?): ingest it into another --db to look at it apart`;
}

/**
 * The refusal of an input of `found`'s head and size whose content hashes otherwise, and
 * whose records repeat the history's: not a copy (ingest says "same content" for that) but
 * an edited one, as notContinuing says of an input that starts like a source.
 */
function editedCopyRefusal(path: string, found: SourceRow): string {
  return `${path} differs from ${found.path} (same first ${found.headBytes} bytes and size, sha256 differs): an edited copy?; not ingested (its records repeat those ingested from it): ingest it into another --db to look at it apart`;
}

/** The refusal of an input whose records (`range`) repeat another source's; undefined when they do not. */
function repeatRefusal(session: IngestSession, path: string, range: RecordRange, self: number | undefined): string | undefined {
  const other = session.ranges.repeated(range, self);
  if (other === undefined) return undefined;
  return `${path} repeats records already ingested from ${other.path} (audit ids ${other.range.first.rec}..${other.range.last.rec}): not ingested (a concatenation, copy or extract of logs ingested before?); if it is another machine's log, give that machine's --host; to look at it apart, ingest it into another --db`;
}

/**
 * A stream (stdin, a zip entry, a .gz) can only be checked by the first record it would
 * read (`head`, its content from where reading starts): refused when that record lies
 * inside another source's span. Undefined: read it.
 */
function streamRefusal(session: IngestSession, name: string, head: Buffer, self: number | undefined): string | undefined {
  const range = rangeOf(firstAuditId(head.toString('latin1')), undefined);
  return range === undefined ? undefined : repeatRefusal(session, name, range, self);
}

function refuse(session: IngestSession, path: string, message: string): void {
  session.reports.push({ path, format: 'auditd', status: 'skipped', fromOffset: 0, bytes: 0, lines: 0, note: message, refused: message });
  session.warn({ reason: 'input-refused', detail: message });
}

function reportDone(session: IngestSession, path: string, found: SourceRow, verified = false): void {
  const report: InputReport = { path, format: 'auditd', status: 'already-ingested', fromOffset: found.committedOffset, bytes: 0, lines: 0 };
  const note = sameContentNote(path, found, verified);
  if (note !== undefined) report.note = note;
  if (found.content !== undefined) {
    report.sha256 = found.content.sha256;
    report.sha256Bytes = found.content.bytes;
  }
  session.reports.push(report);
}


/** The refusal of a log, under the name it was ingested as, whose ingested part no longer hashes as it did (edited in place?). */
function changedRefusal(path: string, found: SourceRow): string {
  const c = found.content!;
  return `${path} changed since it was ingested: its first ${c.bytes} bytes no longer hash as ingested (sha256 was ${c.sha256}), though its first ${found.headBytes} bytes are the same; not ingested again (edited in place?): to look at it apart, ingest it into another --db`;
}

/**
 * Why an input resumed (a plain log, stdin, a .gz or zip entry: bytes before the resume
 * point are hashed again, or skipped and hashed) is not the source it starts like: those
 * bytes do not hash as what was ingested from it.
 */
function prefixProblem(found: SourceRow, prefix: PrefixHash): string | undefined {
  if (prefix.matches !== false) return undefined;
  return `its first ${found.content!.bytes} bytes are not those ingested from it (sha256 was ${found.content!.sha256})`;
}

/** Registers the source (a new registry row when unknown) at its committed position, its content hashed from there. */
function prepare(session: IngestSession, name: string, key: SourceKey, info: SourceInfo, found: SourceRow | undefined, chunks: AsyncIterable<Buffer>, content: ContentHash): OpenedSource {
  const row = found ?? session.registry.create(key, info, session.nowNs);
  // Line numbers restart where the committed position was; unknown when it was not recorded.
  const startLine = found === undefined ? 1 : found.committedLine;
  const rs = newReadSource(row, name, key, info, found?.committedOffset ?? 0, startLine);
  rs.content = content;
  return { rs, chunks };
}
