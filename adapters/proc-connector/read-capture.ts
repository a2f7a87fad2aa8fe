import { existsSync, readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { EventSink, IngestWarning } from '../../src/events/event-sink.js';
import { UserError } from '../../src/cli/user-error.js';
import type { CaptureMeta, LiveRecord } from './capture-files.js';
import { CAPTURE_FORMAT, livePath, metaPath, snapshotPath } from './capture-files.js';
import type { ConnectorEvent } from './connector-event.js';
import { decodeDatagrams } from './decode-datagram.js';
import { ExitParentIndex } from './exit-parent-index.js';
import { checkSnapshot, liveRecordProblem } from './sidecar-checks.js';
import type { ProcSnapshot } from './proc-snapshot.js';
import type { ExecImage, ImageSource, ReaperSource, TranslatorStats } from './to-proc-events.js';
import { ConnectorTranslator, findSupersededExecs } from './to-proc-events.js';

export interface ReplayOptions {
  /**
   * Wall-clock ns at which CLOCK_MONOTONIC was 0 (`--boot-time`). Overrides the meta
   * file's monotonic_to_realtime_ns; required when the capture has no meta file.
   */
  bootTimeNs?: bigint;
  /** Host to stamp on events (default: the meta file's host, else none). */
  host?: string;
  /** Read size; tests use a small one to cross message boundaries. */
  chunkBytes?: number;
}

export interface ReplaySummary {
  bytes: number;
  /** Where the decodable data ends when the file is damaged or cut short, else undefined. */
  damagedAt?: number;
  warnings: number;
  warningsByReason: Record<string, number>;
  clockSource: 'meta' | 'boot-time';
  meta?: CaptureMeta;
  stats: TranslatorStats;
}

const DEFAULT_CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * Replays a proc connector capture (made by `proc-tree capture`) into `sink`.
 *
 * Two passes over the datagram file: the first indexes every process's EXIT (which names
 * its parent at that time) so reparented orphans get their real reaper; the second
 * translates. Sidecars are used when present: the snapshot seeds pre-existing processes,
 * the live records give exec images and the overflow/re-seed points. Damage is reported
 * as counted warnings with byte offsets, and everything before it is still delivered.
 *
 * Usage (what `proc-tree ingest --format proc-connector [--boot-time S] FILE` calls):
 *   const summary = await readProcConnectorCapture(file, sink, { bootTimeNs });
 * Throws UserError only when nothing can be replayed (missing file, no clock offset).
 */
export async function readProcConnectorCapture(
  path: string,
  sink: EventSink,
  options: ReplayOptions = {},
): Promise<ReplaySummary> {
  if (!existsSync(path)) throw new UserError(`no such capture file: ${path}`);
  const meta = readMeta(path);
  const offsetNs = options.bootTimeNs ?? (meta ? BigInt(meta.monotonic_to_realtime_ns) : undefined);
  if (offsetNs === undefined) {
    throw new UserError(
      `${metaPath(path)} is missing or unreadable, so the capture's clock is unknown: pass --boot-time EPOCH_SECONDS (wall-clock time at boot, e.g. from 'date -d "$(uptime -s)" +%s' on the captured host)`,
    );
  }
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  const warningsByReason: Record<string, number> = {};
  let warnings = 0;
  const countingSink: EventSink = {
    onEvent: (event) => sink.onEvent(event),
    onWarning: (warning: IngestWarning) => {
      warnings++;
      warningsByReason[warning.reason] = (warningsByReason[warning.reason] ?? 0) + 1;
      sink.onWarning(warning);
    },
  };

  const exitParents = new ExitParentIndex();
  await walkCapture(path, chunkBytes, (events) => {
    for (const ev of events) {
      if (ev.what === 'fork' && ev.childPid === ev.childTgid) exitParents.addFork(ev.childTgid, ev.offset);
      else if (ev.what === 'exit' && ev.pid === ev.tgid) exitParents.addExit(ev.tgid, ev.offset, ev.parentTgid);
    }
  });

  const records = readLiveRecords(path, countingSink);
  const host = options.host ?? meta?.host;
  const translator = new ConnectorTranslator(countingSink, {
    file: path,
    ...(host === undefined ? {} : { host }),
    monotonicToRealtimeNs: offsetNs,
    images: replayImages(records.execs),
    reapers: replayReapers(exitParents, records.reparents),
  });
  const snapshot = readSnapshot(snapshotPath(path), countingSink);
  if (snapshot) translator.seed(snapshot, { reseed: false, evidenceFile: snapshotPath(path) });

  let nextRecord = 0;
  const applyRecordsBefore = (offset: number): void => {
    while (nextRecord < records.ordered.length && records.ordered[nextRecord]!.offset <= offset) {
      const record = records.ordered[nextRecord++]!;
      if (record.type === 'loss') {
        translator.reportLoss(BigInt(record.atNs), `proc connector receive queue overflowed (ENOBUFS x${record.enobufs}) during capture`);
      } else if (record.type === 'reseed') {
        translator.seed(record.snapshot, { reseed: true, evidenceFile: livePath(path), offset: record.offset });
      }
    }
  };
  const { bytes, damagedAt } = await walkCapture(
    path,
    chunkBytes,
    (events) => {
      const superseded = findSupersededExecs(events);
      for (let i = 0; i < events.length; i++) {
        applyRecordsBefore(events[i]!.offset);
        translator.push(events[i]!, superseded.has(i));
      }
    },
    (problem) => countingSink.onWarning(problem),
  );
  applyRecordsBefore(Number.MAX_SAFE_INTEGER);
  const summary: ReplaySummary = {
    bytes,
    warnings,
    warningsByReason,
    clockSource: options.bootTimeNs !== undefined ? 'boot-time' : 'meta',
    stats: translator.stats,
  };
  if (damagedAt !== undefined) summary.damagedAt = damagedAt;
  if (meta) summary.meta = meta;
  return summary;
}

/**
 * Reads the datagram file in chunks, carrying a partial message to the next chunk, and
 * hands decoded events to `onEvents`. A tail that never completes is reported.
 */
async function walkCapture(
  path: string,
  chunkBytes: number,
  onEvents: (events: ConnectorEvent[]) => void,
  onWarning?: (warning: IngestWarning) => void,
): Promise<{ bytes: number; damagedAt?: number }> {
  const handle = await open(path, 'r');
  let damagedAt: number | undefined;
  let carry = Buffer.alloc(0);
  let carryOffset = 0;
  let position = 0;
  try {
    const chunk = Buffer.allocUnsafe(chunkBytes);
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, chunkBytes, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      const data = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
      const result = decodeDatagrams(data, carryOffset);
      for (const problem of result.problems) {
        damagedAt ??= problem.offset;
        onWarning?.({ reason: problem.reason, detail: problem.detail, position: { file: path, offset: problem.offset } });
      }
      onEvents(result.events);
      carry = Buffer.from(data.subarray(result.consumed));
      carryOffset += result.consumed;
    }
  } finally {
    await handle.close();
  }
  if (carry.length > 0) {
    damagedAt ??= carryOffset;
    onWarning?.({
      reason: 'truncated-message',
      detail: `capture ends inside a message: ${carry.length} byte(s) after offset ${carryOffset} ignored`,
      position: { file: path, offset: carryOffset },
    });
  }
  return damagedAt === undefined ? { bytes: position } : { bytes: position, damagedAt };
}

/**
 * The seed snapshot, with its unusable entries dropped (each a `bad-snapshot` warning); a
 * file that is not JSON or not a snapshot at all is one warning and no seed: the replay
 * still runs, only the processes that existed before the capture stay unnamed.
 */
function readSnapshot(file: string, sink: EventSink): ProcSnapshot | undefined {
  if (!existsSync(file)) return undefined;
  const position = { file, offset: 0 };
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    sink.onWarning({ reason: 'bad-snapshot', detail: `not JSON (${(error as Error).message}); the capture is replayed without its seed`, position });
    return undefined;
  }
  const checked = checkSnapshot(value);
  if ('problem' in checked) {
    sink.onWarning({ reason: 'bad-snapshot', detail: `${checked.problem}; the capture is replayed without its seed`, position });
    return undefined;
  }
  for (const problem of checked.dropped) sink.onWarning({ reason: 'bad-snapshot', detail: `${problem}; entry left out`, position });
  return checked.snapshot;
}

function readJson<T>(path: string): T | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** The host a capture's events are stamped with: `host` if given, else its meta file's. */
export function captureHost(path: string, host?: string): string | undefined {
  return host ?? readMeta(path)?.host;
}

function readMeta(path: string): CaptureMeta | undefined {
  const meta = readJson<CaptureMeta>(metaPath(path));
  if (!meta) return undefined;
  if (meta.format !== CAPTURE_FORMAT || !/^-?\d+$/.test(String(meta.monotonic_to_realtime_ns))) {
    throw new UserError(`${metaPath(path)} is not a proc-tree capture meta file (format ${String(meta.format)}); pass --boot-time to replay without it`);
  }
  return meta;
}

interface LiveRecords {
  execs: Map<string, LiveRecord & { type: 'exec' }>;
  reparents: Map<string, LiveRecord & { type: 'reparent' }>;
  /** loss and reseed records in capture order. */
  ordered: Array<LiveRecord & { type: 'loss' | 'reseed' }>;
}

function readLiveRecords(path: string, sink: EventSink): LiveRecords {
  const records: LiveRecords = { execs: new Map(), reparents: new Map(), ordered: [] };
  const file = livePath(path);
  if (!existsSync(file)) return records;
  const lines = readFileSync(file, 'utf8').split('\n');
  let offset = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const lineOffset = offset;
    offset += Buffer.byteLength(line) + 1;
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      sink.onWarning({ reason: 'bad-live-record', detail: 'unparsable JSON line', position: { file, offset: lineOffset, line: i + 1 } });
      continue;
    }
    const problem = liveRecordProblem(value);
    if (problem !== undefined) {
      sink.onWarning({ reason: 'bad-live-record', detail: problem, position: { file, offset: lineOffset, line: i + 1 } });
      continue;
    }
    const record = value as LiveRecord;
    if (record.type === 'exec') records.execs.set(`${record.id}:${record.pid}`, record);
    else if (record.type === 'reparent') records.reparents.set(`${record.id}:${record.pid}`, record);
    else if (record.type === 'loss' || record.type === 'reseed') records.ordered.push(record);
  }
  records.ordered.sort((a, b) => a.offset - b.offset);
  return records;
}

function replayImages(execs: LiveRecords['execs']): ImageSource {
  return {
    imageAtExec(pid, context): ExecImage {
      const record = execs.get(`${context.id}:${pid}`);
      if (!record) return { image: {}, missed: 'the capture has no /proc record of this exec' };
      return record.missed === undefined ? { image: record.image } : { image: record.image, missed: record.missed };
    },
  };
}

function replayReapers(exitParents: ExitParentIndex, reparents: LiveRecords['reparents']): ReaperSource {
  return {
    newParent(childPid, context) {
      // 1. What the capture read from /proc/CHILD/stat right after the parent's exit: the
      //    reaper at that moment. 2. The child's own EXIT, the kernel's word on its parent
      //    when it died (a FORK of the same pid in between would make it another process,
      //    which parentAtNextExit refuses); wrong only if the child was orphaned twice.
      //    3. pid 1, the kernel's reaper when no subreaper is in the way.
      const recorded = reparents.get(`${context.id}:${childPid}`);
      if (recorded?.how === 'proc') return { ppid: recorded.ppid, how: 'proc' };
      const fromExit = exitParents.parentAtNextExit(childPid, context.offset);
      if (fromExit !== undefined) return { ppid: fromExit, how: 'child-exit' };
      if (recorded) return { ppid: recorded.ppid, how: recorded.how };
      return { ppid: 1, how: 'init-default' };
    },
  };
}
