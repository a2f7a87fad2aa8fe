import { open, stat } from 'node:fs/promises';
import { isRecordError, parseRecord } from '../../adapters/auditd/parse-record.js';
import { Reassembler, type AssembledEvent } from '../../adapters/auditd/reassemble.js';
import type { SourcePosition } from '../events/event-sink.js';
import { bisectLogOffset } from '../sources/bisect-log-offset.js';
import { createLineSplitter } from '../sources/line-splitter.js';
import { openInputs } from '../sources/open-inputs.js';
import { readHead } from '../sources/read-head.js';
import { listRotatedLogs } from '../sources/rotated-logs.js';
import { detectCompression } from '../sources/sniff-format.js';
import { auditLineTimeMs } from './audit-line-time.js';

/**
 * The audit events of the inputs whose time lies near one moment, read from the part of each
 * log written around it: explain's first pass at an event id, so that one event costs a
 * few megabytes of reading rather than the whole history (issue 12: tens of seconds on a
 * multi-GB history). The caller falls back to the full read when the event is not among
 * these, so nothing here has to be right for the answer to be, only for it to be fast.
 *
 * Why a margin: an audit record's time is taken at syscall entry and its line is written at
 * exit, so a blocking syscall (a connect timing out after ~2 min, a wait4) is written late
 * with an early time. Lines are therefore looked at from where the log was written at
 * `atMs - margin` until SAMPLE_AFTER consecutive lines bear times past `atMs + margin`
 * (written after that, so after the event unless it blocked longer than the margin).
 * - plain files: the start is found by bisection (bisect-log-offset.ts);
 * - compressed files and zip entries cannot seek: read from the start, but lines before the
 *   window are dropped on their header's time, before any parsing.
 * Events read this way are the full read's own (same reassembler, same positions) except that
 * lines read after a seek carry no line number (see withLineNumbers in line-number-at.ts).
 */

/**
 * Margins each side of the moment, tried in turn. 1 s first: a busy machine writes megabytes
 * a second (a real capture: 336 MB in 170 s), and almost every syscall returns within it.
 * Then 10 min: beyond the ~2 min a connect() to a silent host blocks. Then the caller's full read.
 */
export const EVENT_TIME_MARGINS_MS: readonly number[] = [1_000, 10 * 60_000];
/** Consecutive lines past the window after which a log is not read further. */
export const LINES_PAST_WINDOW = 50;

export async function* auditEventsNear(specs: readonly string[], atMs: number, marginMs: number): AsyncGenerator<AssembledEvent> {
  const fromMs = atMs - marginMs;
  const toMs = atMs + marginMs;
  let ready: AssembledEvent[] = [];
  const reassembler = new Reassembler({
    onEvent: (event) => {
      ready.push(event);
    },
    onLateRecord: () => undefined,
  });
  const take = (): AssembledEvent[] => {
    const out = ready;
    ready = [];
    return out;
  };
  for (const spec of specs) {
    for (const file of await filesOf(spec)) {
      const startOffset = await startOffsetFor(file, fromMs);
      for await (const input of openInputs(file, { startOffset })) {
        let pastWindow = 0;
        const splitter = createLineSplitter({
          file: input.name,
          startOffset: input.startOffset,
          ...(input.startOffset === 0 ? { startLine: 1 } : {}),
          onLine: (text, offset, line) => {
            if (pastWindow >= LINES_PAST_WINDOW) return; // the rest of the chunk that ended the window
            const ms = auditLineTimeMs(text);
            if (ms === undefined) return; // damaged or foreign: the full read warns about it
            if (ms < fromMs) return;
            pastWindow = ms > toMs ? pastWindow + 1 : 0;
            const record = parseRecord(text);
            if (isRecordError(record)) return;
            const position: SourcePosition = line === undefined ? { file: input.name, offset } : { file: input.name, offset, line };
            reassembler.push(record, position);
          },
          onSkip: () => undefined,
        });
        for await (const chunk of input.chunks) {
          splitter.push(chunk);
          if (ready.length > 0) yield* take();
          if (pastWindow >= LINES_PAST_WINDOW) break;
        }
        if (pastWindow < LINES_PAST_WINDOW) splitter.end();
        if (ready.length > 0) yield* take();
      }
    }
  }
  reassembler.finish();
  yield* take();
}

/** A directory's rotated logs oldest first (as openInputs reads them), else the file itself. */
async function filesOf(spec: string): Promise<string[]> {
  const info = await stat(spec);
  return info.isDirectory() ? (await listRotatedLogs(spec)).files : [spec];
}

/** Where the window starts in a plain regular file; 0 for anything that cannot seek. */
async function startOffsetFor(path: string, fromMs: number): Promise<number> {
  const info = await stat(path);
  if (!info.isFile()) return 0;
  const handle = await open(path, 'r');
  let magic: Buffer;
  try {
    magic = await readHead(handle, 4);
  } finally {
    await handle.close();
  }
  if (detectCompression(magic) !== 'none') return 0;
  return bisectLogOffset(path, (lines) => {
    const times = lines.map(auditLineTimeMs).filter((t): t is number => t !== undefined).sort((a, b) => a - b);
    return times.length > 0 && times[Math.floor(times.length / 2)]! < fromMs;
  });
}
