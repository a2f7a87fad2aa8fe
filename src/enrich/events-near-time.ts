import { HeaderScan, isRecordError, parseRecord, scanHeader } from '../../adapters/auditd/parse-record.js';
import { Reassembler, type AssembledEvent } from '../../adapters/auditd/reassemble.js';
import type { SourcePosition } from '../events/event-sink.js';
import { createLineSplitter } from '../sources/line-splitter.js';
import { openInputs } from '../sources/open-inputs.js';
import { stat } from 'node:fs/promises';
import { auditLineTimeMs } from './audit-line-time.js';
import { windowReads } from './window-reads.js';

/**
 * The audit events with one id (`SEC.MS:SERIAL`, one per host), read from the part of each
 * log written around their time: explain's first pass, so that one event costs a few
 * megabytes of reading rather than the whole history (issue 12: tens of seconds on a
 * multi-GB history). The caller falls back to the full read when the event is not found
 * here, so nothing here has to be right for the answer to be, only for it to be fast.
 *
 * Why a margin: an audit record's time is taken at syscall entry and its line is written at
 * exit, so a blocking syscall (a connect timing out after ~2 min, a wait4) is written late
 * with an early time. Lines are therefore looked at from where the log was written at
 * `time - margin` until LINES_PAST_WINDOW consecutive lines bear times past `time + margin`
 * (written after that, so after the event unless it blocked longer than the margin).
 * - which files, from where: window-reads.ts (plain files bisected, older compressed
 *   rotated files skipped on the next one's head);
 * - compressed files and zip entries cannot seek: they are read from the start, chunks
 *   whose last line is older than the window by another margin only counted (chunkBefore).
 * Only each line's header is read; lines of the id are parsed and grouped by the ingest's
 * reassembler, so the event is the full read's (all of an event's records are written at
 * once at syscall exit: nothing between them can make the full read split it), except that
 * lines read after a seek carry no line number (the caller counts them: line-number-at.ts).
 */

/**
 * Margins each side of the moment, tried in turn, each pass costing about its window's
 * share of the log. 1 s first: a busy machine writes megabytes a second (a real capture:
 * 336 MB in 170 s) and almost every syscall returns within it. 150 s: a connect() to a
 * silent host gives up after ~127 s (6 SYN retries). 10 min: longer waits. Then the
 * caller's full read.
 */
export const EVENT_TIME_MARGINS_MS: readonly number[] = [1_000, 150_000, 10 * 60_000];
/** Consecutive lines past the window after which a log is not read further. */
export const LINES_PAST_WINDOW = 50;

/** An audit event id as numbers: what a line's header is compared with. */
export interface AuditId {
  sec: number;
  ms: number;
  serial: number;
}

export async function* auditEventsWithId(specs: readonly string[], id: AuditId, marginMs: number): AsyncGenerator<AssembledEvent> {
  const atMs = id.sec * 1000 + id.ms;
  const fromMs = atMs - marginMs;
  const toMs = atMs + marginMs;
  const found: AssembledEvent[] = [];
  const reassembler = new Reassembler({ onEvent: (event) => found.push(event), onLateRecord: () => undefined });
  const header = new HeaderScan();
  for (const spec of specs) {
    for await (const { file, startOffset } of windowReads(spec, fromMs, fromMs - marginMs)) {
      for await (const input of openInputs(file, { startOffset })) {
        let pastWindow = 0;
        const onLine = (text: string, offset: number, line: number | undefined): void => {
          if (pastWindow >= LINES_PAST_WINDOW) return; // the rest of the chunk that ended the window
          if (scanHeader(text, header) !== undefined) return; // damaged or foreign: the full read warns about it
          const ms = header.sec * 1000 + header.ms;
          if (ms < fromMs) return;
          pastWindow = ms > toMs ? pastWindow + 1 : 0;
          if (header.serial !== id.serial || header.sec !== id.sec || header.ms !== id.ms) return;
          const record = parseRecord(text);
          if (isRecordError(record)) return;
          const position: SourcePosition = line === undefined ? { file: input.name, offset } : { file: input.name, offset, line };
          reassembler.push(record, position);
        };
        const splitterAt = (offset: number, line: number | undefined) =>
          createLineSplitter({ file: input.name, startOffset: offset, ...(line !== undefined ? { startLine: line } : {}), onLine, onSkip: () => undefined });
        let splitter = splitterAt(input.startOffset, input.startOffset === 0 ? 1 : undefined);
        let offset = input.startOffset;
        // Read from the start (no seek): whole chunks before the window are only counted.
        let beforeWindow = input.startOffset === 0;
        for await (const chunk of input.chunks) {
          const skip = beforeWindow ? chunkBefore(chunk, fromMs - marginMs) : undefined;
          if (skip === undefined) beforeWindow = false;
          if (skip !== undefined && skip > 0 && splitter.lineNumber !== undefined) {
            // The unfinished line ends at the chunk's first newline: it and the next ones are dropped.
            splitter = splitterAt(offset + skip, splitter.lineNumber + countNewlines(chunk, skip));
            splitter.push(chunk.subarray(skip));
          } else splitter.push(chunk);
          offset += chunk.length;
          if (pastWindow >= LINES_PAST_WINDOW) break;
        }
        if (pastWindow < LINES_PAST_WINDOW) splitter.end();
      }
    }
  }
  reassembler.finish();
  yield* found;
}

/**
 * Whether every input can be read again after a pass: files and directories can, a pipe
 * (`<(zcat ...)`) cannot, so with one the caller's single full read is all there may be.
 */
export async function canReadAgain(specs: readonly string[]): Promise<boolean> {
  for (const spec of specs) {
    const info = await stat(spec).catch(() => undefined);
    if (info === undefined || !(info.isFile() || info.isDirectory())) return false;
  }
  return true;
}

/**
 * For a chunk read from the start of a compressed log: when its last complete line is older
 * than `beforeMs`, the index just past that line (the chunk's lines up to there are written
 * before the window, unless that line blocked longer than the margin: a miss the next pass
 * catches); 0 when the chunk has fewer than two newlines or a damaged last line (keep
 * looking); undefined once a last line is not older (the window has come: stop looking).
 * Skipping a chunk costs a newline count instead of a string and a header per line.
 */
function chunkBefore(chunk: Buffer, beforeMs: number): number | undefined {
  const last = chunk.lastIndexOf(10);
  const previous = last > 0 ? chunk.lastIndexOf(10, last - 1) : -1;
  if (previous < 0) return 0;
  const ms = auditLineTimeMs(chunk.toString('latin1', previous + 1, last));
  if (ms === undefined) return 0;
  return ms < beforeMs ? last + 1 : undefined;
}

/** Newlines in chunk[0, end). */
function countNewlines(chunk: Buffer, end: number): number {
  let count = 0;
  for (let at = chunk.indexOf(10); at >= 0 && at < end; at = chunk.indexOf(10, at + 1)) count++;
  return count;
}
