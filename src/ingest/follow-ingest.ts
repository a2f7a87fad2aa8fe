import { createAuditdAdapter, type AuditdAdapter } from '../../adapters/auditd/index.js';
import type { IngestWarning, SourcePosition } from '../events/event-sink.js';
import type { ProcEvent } from '../events/proc-event.js';
import { UserError } from '../cli/user-error.js';
import { createLineSplitter } from '../sources/line-splitter.js';
import { CommitPacer, piecesOf } from './commit-pacer.js';
import { damageNote } from './damage-note.js';
import { sourceKeyOf } from './follow-plan.js';
import { followStreams, type FollowStream } from './follow-streams.js';
import { IngestSession } from './ingest-session.js';
import { openIngestTarget, type IngestTarget } from './ingest-target.js';
import type { IngestSummary } from './ingest-summary.js';
import { PositionRing, type ReadPosition } from './position-ring.js';
import { newReadSource, positionOf, type ReadSource } from './read-source.js';
import { RESUME_CONTEXT_LINES } from './parse-stage.js';
import { FULL_HEAD_BYTES } from './source-registry.js';

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
  /** false: no audit serial-gap loss detection (a filtered log). */
  detectLoss?: boolean;
  /** Seconds to wait for another writer of the same history (PostgreSQL: of the same host). */
  waitS?: number;
}

const RING_LINES = 65_536;
/** Quiet time after which open events are flushed: auditd writes an event's records within milliseconds. */
export const IDLE_FLUSH_MS = 1_000;
const IDLE_CHECK_MS = 200;

/** Between a followed path and its generation's ordinal in the source names of a follow. */
const GENERATION_MARK = '\u0000';

/** A source of a follow: its first bytes grow to FULL_HEAD_BYTES as they are read, and its key follows. */
type FollowSource = ReadSource & { head: Buffer };

/**
 * `proc-tree ingest --follow`: like `tail -F` into the history. Reads rotated files left
 * unfinished by a previous run, then every generation of the live file (follow-streams.ts)
 * through ONE adapter (events straddle rotations), committing with each source's resume
 * position as a plain ingest does (same session: registry, resume guard, context margin),
 * so stopping and restarting, or a later plain ingest, neither loses nor duplicates
 * anything. While the log is quiet, open events are flushed and committed so queries
 * from other processes see them (WAL: readers never wait for this writer).
 */
export async function runFollowIngest(options: FollowIngestOptions): Promise<IngestSummary> {
  const started = Date.now();
  const history = await openIngestTarget(options.db, {
    ...(options.host !== undefined ? { host: options.host } : {}),
    ...(options.waitS !== undefined ? { waitS: options.waitS } : {}),
  });
  try {
    const run = new FollowRun(history, options);
    await run.run();
    const summary = run.summary(Date.now() - started);
    // Stopped cleanly, all committed: SQLite leaves no -wal/-shm behind (queries reading
    // concurrently keep it in WAL: finish does not wait for them).
    await history.finish();
    return summary;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') throw new UserError(`cannot read ${options.path}: permission denied (audit logs are root-only: try sudo)`);
    if (code === 'EISDIR') throw new UserError(`${options.path} is a directory: follow the log file in it, e.g. ${options.path}/audit.log`);
    throw error;
  } finally {
    await history.close();
  }
}

class FollowRun {
  private readonly session: IngestSession;
  private readonly files: FollowSource[] = [];
  private readonly ring = new PositionRing(RING_LINES);
  private readonly adapter: AuditdAdapter;
  private readonly pacer: CommitPacer;
  private lastData = Date.now();
  /** Lines handed to the adapter since its open events were last flushed. */
  private unflushed = false;
  /**
   * Where the events emitted by the last idle flush began, while no line has been read since
   * (then a stop keeps them in the window a restart re-reads: see run).
   */
  private flushedFrom: SourcePosition | undefined;
  /** Commits run one after the other (an idle commit may start while the reader waits for data). */
  private commits: Promise<void> = Promise.resolve();
  /** A commit started by the idle timer that failed: thrown by the reader. */
  private failure: unknown;
  /** Events the adapter emitted since they were last handed to the session (see deliver). */
  private emitted: ProcEvent[] = [];

  constructor(
    history: IngestTarget,
    private readonly options: FollowIngestOptions,
  ) {
    const { host, detectLoss } = options;
    this.session = new IngestSession(history, { ...(host !== undefined ? { host } : {}), ...(detectLoss !== undefined ? { detectLoss } : {}) });
    void this.session.guard; // the previous run's guard, read before this run writes
    const adapterOptions = { ...(host !== undefined ? { host } : {}), ...(detectLoss === false ? { detectLoss } : {}) };
    this.adapter = createAuditdAdapter({ onEvent: (e) => this.emitted.push(e), onWarning: this.warn }, adapterOptions);
    this.pacer = new CommitPacer(options.commitEveryLines, options.commitEveryMs);
  }

  summary(durationMs: number): IngestSummary {
    return this.session.summary(this.adapter.stats().lines, durationMs);
  }

  async run(): Promise<void> {
    const { signal } = this.options;
    const { history, registry, defaultHostId } = this.session;
    const idle = setInterval(this.idleCheck, IDLE_CHECK_MS);
    history.begin();
    try {
      for await (const stream of followStreams(this.options, registry, defaultHostId)) {
        const rs = this.register(stream);
        // A file the registry did not know is committed (its row, its head, where we start)
        // before a byte of it is read. Otherwise a follow killed -9 before its first commit
        // leaves no trace of the live file; auditd rotates it to audit.log.1 meanwhile, and
        // the restart, knowing no rotated file, treats it as history and starts at the new
        // audit.log: that whole generation was lost (test/reliability/follow-kill.test.ts).
        if (stream.row === undefined) await this.serially(() => this.commit());
        try {
          await this.read(rs, stream.chunks);
        } catch (error) {
          // A damaged .gz being finished: keep what came before the damage, report it, go on.
          if (!(error instanceof UserError)) throw error;
          this.warn({ reason: 'damaged-input', detail: error.message, position: { file: rs.name, offset: rs.consumedOffset } });
          rs.report.note = damageNote(error.message, rs);
          rs.report.unread = rs.report.note;
          continue;
        }
        // A rotated file or generation is read to its end unless stopped (then the last line
        // may be half written: leave it for the next run).
        if (signal.aborted) break;
        rs.finished = true;
        if (stream.live) rs.report.note = 'read to its end: rotated away or truncated';
      }
    } finally {
      clearInterval(idle);
    }
    // Stop: emit the open events so they are queryable now, but store the resume point at
    // the first of them (as read before that flush; on a quiet log, the first of those the
    // last idle flush emitted): a restart re-reads just that window, joins records that
    // arrive later (auditd interleaves events: samples/auditd/rotation's audit.log.2 has
    // PROCTITLE of 28789 after all of 28790), and skips what is stored. No context margin:
    // everything before that window was reassembled by this run. With the margin
    // (RESUME_CONTEXT_LINES, kept for a kill, which may come at any line), a plain ingest
    // after a clean stop re-read 8,192 lines of an 84 MB log (2,294 events skipped as
    // stored) and reported the event the margin cut in two as damaged
    // (test/ingest/follow-clean-stop.test.ts).
    await this.serially(() => this.flushAndCommit(true));
    await history.commit();
  }

  /**
   * A warning as the summary shows it: at the followed path. Its position names the source
   * (`path` NUL ordinal, unique per generation, see register), which printed as
   * "audit.log 0:1" (the NUL invisible): a location no one can open.
   */
  private warn = (w: IngestWarning): void => {
    const file = w.position?.file;
    const cut = file === undefined ? -1 : file.indexOf(GENERATION_MARK);
    this.session.warn(cut < 0 ? w : { ...w, position: { ...w.position!, file: file!.slice(0, cut) } });
  };

  /** Runs `commit` after the commits before it (each commit's positions are taken when it starts). */
  private serially(commit: () => Promise<void>): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    const next = this.commits.then(commit);
    this.commits = next.catch(() => undefined);
    return next;
  }

  private register(stream: FollowStream): FollowSource {
    const { path, row: found, from } = stream;
    const row = found ?? this.session.registry.create(stream.key, stream.info, this.session.nowNs);
    const startLine = found === undefined || from === 0 ? 1 : from === found.committedOffset ? found.committedLine : undefined;
    // Every generation of the live file has the same path: the ordinal makes names unique.
    const name = `${path}${GENERATION_MARK}${this.files.length}`;
    const rs: FollowSource = { ...newReadSource(row, name, stream.key, stream.info, from, startLine, path), head: stream.head };
    this.session.sources.add(rs);
    this.session.reports.push(rs.report);
    this.files.push(rs);
    return rs;
  }

  /** One source's bytes -> lines -> adapter, committing between pieces (only there is the position exact). */
  private async read(rs: FollowSource, chunks: AsyncIterable<Buffer>): Promise<void> {
    const { ord, name: file } = rs;
    const splitter = createLineSplitter({
      file,
      startOffset: rs.startOffset,
      ...(rs.startLine !== undefined ? { startLine: rs.startLine } : {}),
      onLine: (text, offset, line) => {
        this.ring.push(ord, offset, line);
        this.adapter.pushLine(text, line === undefined ? { file, offset } : { file, offset, line });
        rs.report.lines++;
      },
      onSkip: (w) => this.adapter.skipLine(w),
    });
    for await (const piece of piecesOf(chunks, this.pacer.pieceBytes)) {
      if (this.options.signal.aborted) break; // a long catch-up stops promptly too
      this.lastData = Date.now();
      this.unflushed = true;
      this.flushedFrom = undefined;
      if (rs.head.length < FULL_HEAD_BYTES && rs.startOffset + rs.report.bytes === rs.head.length) {
        rs.head = Buffer.concat([rs.head, piece.subarray(0, FULL_HEAD_BYTES - rs.head.length)]);
      }
      splitter.push(piece);
      await this.deliver();
      rs.report.bytes += piece.length;
      rs.consumedOffset = splitter.consumedOffset;
      const ln = splitter.lineNumber;
      if (ln !== undefined) rs.consumedLine = ln;
      if (this.pacer.read(piece.length)) await this.serially(() => this.commit());
    }
    if (!this.options.signal.aborted) {
      splitter.end();
      await this.deliver();
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
    this.unflushed = false;
    this.serially(() => this.flushAndCommit()).catch((error: unknown) => {
      this.failure ??= error;
    });
  };

  /**
   * Hands the emitted events to the session once the writer knows their hosts (PostgreSQL
   * takes a new host's writer lock first: asynchronous, so it waits its turn among the
   * commits). SQLite, or hosts already known: at once.
   */
  private async deliver(): Promise<void> {
    const events = this.takeEmitted();
    if (events === undefined) return;
    const hosts = this.session.history.prepareHosts(events);
    if (hosts === undefined) for (const e of events) this.session.onAuditdEvent(e);
    else await this.serially(() => this.apply(events, hosts));
  }

  private takeEmitted(): ProcEvent[] | undefined {
    if (this.emitted.length === 0) return undefined;
    const events = this.emitted;
    this.emitted = [];
    return events;
  }

  private async apply(events: ProcEvent[], takeHosts: (() => Promise<void>) | undefined): Promise<void> {
    if (takeHosts !== undefined) await takeHosts();
    for (const e of events) this.session.onAuditdEvent(e);
  }

  /** Runs in the commit sequence (serially). */
  private async flushAndCommit(stop = false): Promise<void> {
    this.unflushed = false;
    const pendingAt = this.adapter.oldestPendingPosition() ?? (stop ? this.flushedFrom : undefined);
    if (!stop) this.flushedFrom = pendingAt;
    this.adapter.flushPending();
    const events = this.takeEmitted();
    if (events !== undefined) await this.apply(events, this.session.history.prepareHosts(events));
    return this.commit(pendingAt, stop);
  }

  /**
   * Commits with every source's resume position: RESUME_CONTEXT_LINES before the oldest
   * event not yet emitted when `pendingAt` was taken (`stop`: that event itself, see run).
   * Never final (see commit-positions.ts).
   */
  private async commit(pendingAt: SourcePosition | undefined = this.adapter.oldestPendingPosition(), stop = false): Promise<void> {
    this.pacer.committed();
    const current = this.files[this.files.length - 1];
    if (current === undefined) return;
    const { sources } = this.session;
    let pending: ReadPosition;
    if (pendingAt !== undefined) {
      const src = sources.idOf(pendingAt.file);
      const ord = src === undefined ? current.ord : sources.ordOf(src)!;
      pending = pendingAt.line === undefined ? { ord, offset: pendingAt.offset } : { ord, offset: pendingAt.offset, line: pendingAt.line };
    } else pending = positionOf(current);
    for (const s of this.files) {
      // The key follows the head as a young file grows to FULL_HEAD_BYTES.
      if (s.head.length > s.key.headBytes) s.key = sourceKeyOf(this.session.defaultHostId, s.head);
      s.info.size = s.startOffset + s.report.bytes;
    }
    await this.session.commit(stop ? pending : this.ring.before(pending, RESUME_CONTEXT_LINES), pending, false);
  }
}
