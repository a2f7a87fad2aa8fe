import { createAuditdAdapter, type AuditdAdapter } from '../../adapters/auditd/index.js';
import type { EventSink, IngestWarning } from '../events/event-sink.js';
import type { HistoryBuilder } from '../history/history-builder.js';
import { UserError } from '../cli/user-error.js';
import { WritableHistory } from '../history/history-database.js';
import { followFile } from '../sources/follow-file.js';
import { createLineSplitter } from '../sources/line-splitter.js';
import { openInputs } from '../sources/open-inputs.js';
import { skipBytes } from '../sources/peek-stream.js';
import { planFollow, sourceKeyOf, type PlannedFile } from './follow-plan.js';
import type { IngestSummary, InputReport } from './ingest-summary.js';
import { PositionRing, type ReadPosition } from './position-ring.js';
import { ResumeGuard, type SavedGuard } from './resume-guard.js';
import { RESUME_CONTEXT_LINES } from './run-ingest.js';
import { FULL_HEAD_BYTES, SourceRegistry, type SourceInfo, type SourceKey, type SourceRow } from './source-registry.js';

export interface FollowIngestOptions {
  db: string;
  /** The live log, e.g. /var/log/audit/audit.log. */
  path: string;
  /** Host for records without node=. */
  host?: string;
  /** Ends the follow: in-flight events are flushed and committed, then the summary returned. */
  signal: AbortSignal;
  /** Commit after about this many lines or this much time while data flows. */
  commitEveryLines?: number;
  commitEveryMs?: number;
  /** Quiet this long: flush the adapter's open events and commit, so they are queryable. */
  idleFlushMs?: number;
  /** How often a quiet file is checked for growth and rotation (followFile's default otherwise). */
  pollMs?: number;
}

/** Same keys as run-ingest, so a plain ingest and a follow share resume state. */
const GUARD_KEY = 'ingest.auditd.guard';
const RING_LINES = 65_536;
const DEFAULT_COMMIT_LINES = 200_000;
const DEFAULT_COMMIT_MS = 2_000;
/** Quiet time after which open events are flushed: auditd writes an event's records within milliseconds. */
export const IDLE_FLUSH_MS = 1_000;
const IDLE_CHECK_MS = 200;

/** One byte stream read in this run (a catch-up file or one generation of the live file), in reading order. */
interface FollowSource {
  ord: number;
  id: number;
  /** Unique in this run: positions name it, and every generation of the live file has the same path. */
  name: string;
  key: SourceKey;
  info: SourceInfo;
  /** First bytes of the file (grows to FULL_HEAD_BYTES as they are read: the key follows). */
  head: Buffer;
  startOffset: number;
  startLine?: number;
  consumedOffset: number;
  consumedLine?: number;
  finished: boolean;
  report: InputReport;
}

/**
 * `proc-tree ingest --follow`: like `tail -F` into the history. Reads rotated files left
 * unfinished by a previous run (follow-plan.ts), then every generation of the live file
 * through ONE adapter (events straddle rotations), committing with each source's resume
 * position exactly as run-ingest.ts does (same registry, same resume guard, same context
 * margin), so stopping and restarting, or a later plain ingest, neither loses nor
 * duplicates anything. While the log is quiet, open events are flushed and committed so
 * queries from other processes see them (WAL: readers never wait for this writer).
 */
export async function runFollowIngest(options: FollowIngestOptions): Promise<IngestSummary> {
  const started = Date.now();
  const history = WritableHistory.open(options.db);
  try {
    const run = new FollowRun(history, options);
    await run.run();
    return run.summary(Date.now() - started);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') throw new UserError(`cannot read ${options.path}: permission denied (audit logs are root-only: try sudo)`);
    if (code === 'EISDIR') throw new UserError(`${options.path} is a directory: follow the log file in it, e.g. ${options.path}/audit.log`);
    throw error;
  } finally {
    history.close();
  }
}

class FollowRun {
  private readonly builder: HistoryBuilder;
  private readonly registry: SourceRegistry;
  private readonly hostId: number;
  private readonly srcByName = new Map<string, number>();
  private readonly ordBySrc = new Map<number, number>();
  private readonly sources: FollowSource[] = [];
  private readonly ring = new PositionRing(RING_LINES);
  private readonly guard: ResumeGuard;
  private readonly adapter: AuditdAdapter;
  private readonly events: Record<string, number> = {};
  private readonly skipped: Record<string, number> = {};
  private readonly nowNs = BigInt(Date.now()) * 1_000_000n;
  private commits = 0;
  private linesSinceCommit = 0;
  private lastCommit = Date.now();
  private lastData = Date.now();
  /** Lines handed to the adapter since its open events were last flushed. */
  private unflushed = false;

  constructor(
    private readonly history: WritableHistory,
    private readonly options: FollowIngestOptions,
  ) {
    this.builder = history.builder({ sourceIdOf: (file) => this.srcByName.get(file) });
    this.registry = new SourceRegistry(history.db);
    this.hostId = history.writer.hostId(options.host ?? '');
    const saved = history.writer.getState(GUARD_KEY);
    this.guard = new ResumeGuard(saved === undefined ? undefined : (JSON.parse(saved) as SavedGuard));
    const ordOf = (src: number): number | undefined => this.ordBySrc.get(src);
    const sink: EventSink = {
      onEvent: (e) => {
        const src = e.evidence === undefined ? undefined : this.srcByName.get(e.evidence.file);
        if (!this.guard.isStored(e, src, ordOf)) {
          this.events[e.kind] = (this.events[e.kind] ?? 0) + 1;
          this.builder.onEvent(e);
        }
        this.guard.record(e, src);
      },
      onWarning: this.warn,
    };
    this.adapter = createAuditdAdapter(sink, options.host === undefined ? {} : { host: options.host });
  }

  private warn = (w: IngestWarning): void => {
    this.skipped[w.reason] = (this.skipped[w.reason] ?? 0) + 1;
  };

  summary(durationMs: number): IngestSummary {
    let bytes = 0;
    for (const s of this.sources) bytes += s.report.bytes;
    return {
      inputs: this.sources.map((s) => s.report),
      lines: this.adapter.stats().lines,
      bytes,
      events: this.events,
      skipped: this.skipped,
      alreadyStored: this.guard.skipped,
      builder: this.builder.stats,
      commits: this.commits,
      durationMs,
    };
  }

  async run(): Promise<void> {
    const { signal } = this.options;
    const idle = setInterval(this.idleCheck, IDLE_CHECK_MS);
    this.history.begin();
    try {
      // Re-planned only when the live file was rotated between planning and opening it.
      while (!signal.aborted) {
        const plan = await planFollow(this.options.path, this.registry, this.hostId);
        for (const file of plan.catchUp) {
          if (signal.aborted) break;
          await this.catchUp(file);
        }
        if (await this.follow(plan.live)) break;
      }
    } finally {
      clearInterval(idle);
    }
    // Stop: emit the open events so they are queryable now, but store the resume point from
    // before that flush (as an idle flush does): a restart re-reads them with their context,
    // joins records that arrive later (auditd interleaves events: samples/auditd/rotation's
    // audit.log.2 has PROCTITLE of 28789 after all of 28790), and skips what is stored.
    // Serial gaps stay open rather than being reported as losses: the restart resolves them.
    this.flushAndCommit();
    this.history.commit();
  }

  /** Reads the rest of a rotated file that will not grow any more. */
  private async catchUp(file: PlannedFile): Promise<void> {
    const from = file.row?.committedOffset ?? 0;
    for await (const opened of openInputs(file.path, { startOffset: from })) {
      const rs = this.register(file.path, file.key, file.head, { path: file.path, dev: file.dev, inode: file.inode }, file.row);
      await this.read(rs, opened.chunks);
      if (this.options.signal.aborted) return;
      rs.finished = true;
    }
  }

  /**
   * Follows the live file until the signal aborts (true), or returns false when the file
   * planned at its resume offset was replaced before followFile opened it (plan again).
   */
  private async follow(live: PlannedFile | undefined): Promise<boolean> {
    const { path, signal } = this.options;
    const startOffset = live?.row?.committedOffset ?? 0;
    let first = true;
    const followOptions = { signal, startOffset, ...(this.options.pollMs !== undefined ? { pollMs: this.options.pollMs } : {}) };
    for await (const opened of followFile(path, followOptions)) {
      const identity = opened.identity!;
      let head: Buffer;
      let key: SourceKey;
      let row: SourceRow | undefined;
      let chunks = opened.chunks;
      let from = opened.startOffset;
      if (first && startOffset > 0 && from === startOffset) {
        // The file we planned, unless it was rotated (another inode) or rewritten in place
        // (another head) in between: then plan again, its rest is in a rotated file now.
        if (live === undefined || identity.inode !== live.inode || identity.dev !== live.dev) return false;
        if (identity.headBytes === live.head.length && identity.headSha256 !== live.key.headSha256) return false;
        head = live.head.subarray(0, Math.min(startOffset, live.head.length));
        key = live.key;
        row = live.row;
      } else {
        // A new generation (rotation, truncation, or created after we started). Its content
        // may be known already (e.g. a plain ingest ran meanwhile): skip what is committed.
        key = sourceKeyOf(this.hostId, opened.head.subarray(0, FULL_HEAD_BYTES));
        row = this.registry.find(key);
        if (row !== undefined && row.committedOffset > 0) {
          chunks = skipBytes(chunks, row.committedOffset);
          from = row.committedOffset;
        }
        head = opened.head.subarray(0, Math.min(from, opened.head.length));
      }
      first = false;
      const info: SourceInfo = { path, dev: identity.dev, inode: identity.inode };
      const rs = this.register(path, key, head, info, row, from);
      await this.read(rs, chunks);
      // followFile ends a generation on rotation/truncation (read to its end) or on abort
      // (the last line may be half written: leave it for the next run).
      if (!signal.aborted) {
        rs.finished = true;
        rs.report.note = 'read to its end: rotated away or truncated';
      }
    }
    return true;
  }

  private register(path: string, key: SourceKey, head: Buffer, info: SourceInfo, found: SourceRow | undefined, from?: number): FollowSource {
    const row = found ?? this.registry.create(key, info, this.nowNs);
    const startOffset = from ?? found?.committedOffset ?? 0;
    const startLine = found === undefined || startOffset === 0 ? 1 : startOffset === found.committedOffset ? found.committedLine : undefined;
    const ord = this.sources.length;
    const rs: FollowSource = {
      ord,
      id: row.id,
      name: `${path}\u0000${ord}`,
      key,
      info,
      head,
      startOffset,
      consumedOffset: startOffset,
      finished: false,
      report: { path, format: 'auditd', status: startOffset > 0 ? 'resumed' : 'read', fromOffset: startOffset, bytes: 0, lines: 0 },
    };
    if (startLine !== undefined) {
      rs.startLine = startLine;
      rs.consumedLine = startLine;
    }
    this.sources.push(rs);
    this.ordBySrc.set(rs.id, ord);
    this.srcByName.set(rs.name, rs.id);
    return rs;
  }

  /** One source's bytes -> lines -> adapter, committing between pieces (only there is the position exact). */
  private async read(rs: FollowSource, chunks: AsyncIterable<Buffer>): Promise<void> {
    const { ord } = rs;
    const splitter = createLineSplitter({
      file: rs.name,
      startOffset: rs.startOffset,
      ...(rs.startLine !== undefined ? { startLine: rs.startLine } : {}),
      onLine: (text, offset, line) => {
        this.ring.push(ord, offset, line);
        this.adapter.pushLine(text, line === undefined ? { file: rs.name, offset } : { file: rs.name, offset, line });
        rs.report.lines++;
      },
      onSkip: (w) => this.adapter.skipLine(w),
    });
    const commitEveryLines = this.options.commitEveryLines ?? DEFAULT_COMMIT_LINES;
    const commitEveryMs = this.options.commitEveryMs ?? DEFAULT_COMMIT_MS;
    const pieceBytes = Math.max(4096, Math.min(1 << 20, commitEveryLines * 128));
    for await (const whole of chunks) {
      if (this.options.signal.aborted) break; // a long catch-up stops promptly too
      this.lastData = Date.now();
      this.unflushed = true;
      for (let at = 0; at < whole.length; at += pieceBytes) {
        const chunk = whole.length <= pieceBytes ? whole : whole.subarray(at, at + pieceBytes);
        if (rs.head.length < FULL_HEAD_BYTES && rs.startOffset + rs.report.bytes === rs.head.length) {
          rs.head = Buffer.concat([rs.head, chunk.subarray(0, FULL_HEAD_BYTES - rs.head.length)]);
        }
        splitter.push(chunk);
        rs.report.bytes += chunk.length;
        rs.consumedOffset = splitter.consumedOffset;
        const ln = splitter.lineNumber;
        if (ln !== undefined) rs.consumedLine = ln;
        this.linesSinceCommit += chunk.length >>> 7; // ~128 bytes per audit line
        if (this.linesSinceCommit >= commitEveryLines || Date.now() - this.lastCommit >= commitEveryMs) this.commit();
      }
    }
    if (!this.options.signal.aborted) {
      splitter.end();
      rs.consumedOffset = splitter.consumedOffset;
      const ln = splitter.lineNumber;
      if (ln !== undefined) rs.consumedLine = ln;
    }
  }

  /**
   * Runs between chunks (timers never interrupt the synchronous chunk loop): once the log
   * has been quiet for IDLE_FLUSH_MS, no later record will complete the open events, so
   * they are emitted and committed now rather than when the next burst arrives.
   */
  private idleCheck = (): void => {
    if (!this.unflushed || Date.now() - this.lastData < (this.options.idleFlushMs ?? IDLE_FLUSH_MS)) return;
    this.flushAndCommit();
  };

  private flushAndCommit(): void {
    this.unflushed = false;
    const pendingAt = this.adapter.oldestPendingPosition();
    this.adapter.flushPending();
    this.commit(pendingAt);
  }

  /**
   * As run-ingest.ts commit(false): rows, every source's resume position (some context
   * before the oldest event not yet emitted when `pendingAt` was taken) and the resume
   * guard, in one transaction. A followed log never gets run-ingest's final commit: its end
   * is not final, and a finished generation before the resume point is marked complete.
   */
  private commit(pendingAt = this.adapter.oldestPendingPosition()): void {
    const sources = this.sources;
    const current = sources[sources.length - 1];
    this.linesSinceCommit = 0;
    this.lastCommit = Date.now();
    if (current === undefined) return;
    const ordOf = (src: number): number | undefined => this.ordBySrc.get(src);
    let pending: ReadPosition;
    if (pendingAt !== undefined) {
      const src = this.srcByName.get(pendingAt.file);
      const ord = src === undefined ? current.ord : this.ordBySrc.get(src)!;
      pending = pendingAt.line === undefined ? { ord, offset: pendingAt.offset } : { ord, offset: pendingAt.offset, line: pendingAt.line };
    } else pending = positionOf(current);
    const resume = this.ring.before(pending, RESUME_CONTEXT_LINES);
    for (const s of sources) {
      // The key follows the head as a young file grows to FULL_HEAD_BYTES.
      if (s.head.length > s.key.headBytes) s.key = sourceKeyOf(this.hostId, s.head);
      s.info.size = s.startOffset + s.report.bytes;
      if (s.ord < resume.ord) this.registry.commit(s.id, s.consumedOffset, s.consumedLine, s.finished, s.key, s.info, this.nowNs);
      else if (s.ord === resume.ord) this.registry.commit(s.id, resume.offset, resume.line, false, s.key, s.info, this.nowNs);
      else this.registry.commit(s.id, s.startOffset, s.startLine, false, s.key, s.info, this.nowNs);
    }
    const at = (p: ReadPosition) => ({ src: sources[p.ord]!.id, off: p.offset });
    this.history.writer.setState(GUARD_KEY, JSON.stringify(this.guard.checkpoint(at(resume), at(pending), ordOf)));
    this.builder.saveState();
    this.history.commit();
    this.commits++;
    this.history.begin();
  }
}

function positionOf(s: FollowSource): ReadPosition {
  return s.consumedLine === undefined ? { ord: s.ord, offset: s.consumedOffset } : { ord: s.ord, offset: s.consumedOffset, line: s.consumedLine };
}
