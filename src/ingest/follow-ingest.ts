import type { IngestWarning } from '../events/event-sink.js';
import { UserError } from '../cli/user-error.js';
import { CommitPacer, piecesOf } from './commit-pacer.js';
import { damageNote } from './damage-note.js';
import { sourceKeyOf } from './follow-plan.js';
import { followStreams, type FollowStream } from './follow-streams.js';
import { IDLE_COMMIT_MS, IdleCommits } from './idle-commit.js';
import { IngestSession } from './ingest-session.js';
import { openIngestTarget, type IngestTarget } from './ingest-target.js';
import type { IngestSummary } from './ingest-summary.js';
import type { ReadPosition } from './position-ring.js';
import { newReadSource, positionOf, type ReadSource } from './read-source.js';
import { ParseStage, type StageBatch } from './parse-stage.js';
import { ContentHash } from './content-hash.js';
import { hashFilePrefix } from '../sources/prefix-hash.js';
import { FULL_HEAD_BYTES } from './source-registry.js';

export interface FollowIngestOptions {
  db: string;
  /** The live log, e.g. /var/log/audit/audit.log. */
  path: string;
  /** Host for records without node=. */
  host?: string;
  /** Ends the follow: what was emitted is committed, the events still open are left for the next run to read whole (see run), then the summary returned. */
  signal: AbortSignal;
  /** Commit after about this many lines or this much time while data flows. */
  commitEveryLines?: number;
  commitEveryMs?: number;
  /** Quiet this long: flush the open events and commit, so they are queryable (IDLE_COMMIT_MS). */
  idleFlushMs?: number;
  /** How often a quiet file is checked for growth and rotation (followFile's default otherwise). */
  pollMs?: number;
  /** false: no audit serial-gap loss detection (a filtered log). */
  detectLoss?: boolean;
  /** Seconds to wait for another writer of the same history (PostgreSQL: of the same host). */
  waitS?: number;
}

/** Between a followed path and its generation's ordinal in the source names of a follow. */
const GENERATION_MARK = '\u0000';

/** A source of a follow: its first bytes grow to FULL_HEAD_BYTES as they are read, and its key follows. */
type FollowSource = ReadSource & { head: Buffer };

/**
 * `proc-tree ingest --follow`: like `tail -F` into the history. Reads rotated files left
 * unfinished by a previous run, then every generation of the live file (follow-streams.ts)
 * through ONE parse stage (events straddle rotations; the stage a plain ingest uses, in
 * this thread), committing with each source's resume position as a plain ingest does (same
 * session: registry, resume guard, context margin), so stopping and restarting, or a later
 * plain ingest, neither loses nor duplicates anything. While the log is quiet, open events
 * are flushed and committed so queries from other processes see them (idle-commit.ts, as a
 * stdin ingest does; WAL: readers never wait for this writer).
 */
export async function runFollowIngest(options: FollowIngestOptions): Promise<IngestSummary> {
  const started = Date.now();
  const history = await openIngestTarget(options.db, {
    ...(options.host !== undefined ? { host: options.host } : {}),
    ...(options.waitS !== undefined ? { waitS: options.waitS } : {}),
    stop: options.signal,
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
  private readonly stage: ParseStage;
  private readonly pacer: CommitPacer;
  private readonly idle: IdleCommits;
  /** Resume and pending positions of the last batch applied (what a commit stores). */
  private at: Pick<StageBatch, 'resume' | 'pending'> | undefined;
  /**
   * Where the events emitted by the last idle flush began, while no line has been read since
   * (then a stop keeps them in the window a restart re-reads: see run).
   */
  private flushedFrom: ReadPosition | undefined;

  constructor(
    history: IngestTarget,
    private readonly options: FollowIngestOptions,
  ) {
    const { host, detectLoss } = options;
    // detectLoss: the session drops the stage's serial-gap losses and counter resets.
    this.session = new IngestSession(history, { ...(host !== undefined ? { host } : {}), ...(detectLoss !== undefined ? { detectLoss } : {}) });
    void this.session.guard; // the previous run's guard, read before this run writes
    this.stage = new ParseStage(host);
    this.pacer = new CommitPacer(options.commitEveryLines, options.commitEveryMs);
    this.idle = new IdleCommits(options.idleFlushMs ?? IDLE_COMMIT_MS, (all) => this.flushAndCommit(all));
  }

  summary(durationMs: number): IngestSummary {
    return this.session.summary(this.stage.adapterLines, durationMs);
  }

  async run(): Promise<void> {
    const { signal } = this.options;
    const { history, registry, defaultHostId } = this.session;
    history.begin();
    for await (const stream of followStreams(this.options, registry, defaultHostId)) {
      const rs = await this.register(stream);
      // A file the registry did not know is committed (its row, its head, where we start)
      // before a byte of it is read. Otherwise a follow killed -9 before its first commit
      // leaves no trace of the live file; auditd rotates it to audit.log.1 meanwhile, and
      // the restart, knowing no rotated file, treats it as history and starts at the new
      // audit.log: that whole generation was lost (test/reliability/follow-kill.test.ts).
      if (stream.row === undefined) await this.commit(this.at ?? { resume: positionOf(rs), pending: positionOf(rs) });
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
    // Stop: store the resume point at the first event the reassembler still holds open, and
    // do not emit those events: a restart (or a plain ingest) re-reads just that window and
    // reads them whole with records that arrive later (auditd interleaves events:
    // samples/auditd/rotation's audit.log.2 has PROCTITLE of 28789 after all of 28790).
    // Emitting them here stored an exec cut between its records for good: the re-read found
    // it whole, but stored under its audit id (test/ingest/follow-stop-mid-event.test.ts).
    // On a quiet log, the last idle flush emitted them already: resume at the first of those
    // (they are skipped as stored). No context margin: everything before that window was
    // reassembled by this run. With the margin (RESUME_CONTEXT_LINES, kept for a kill, which
    // may come at any line), a plain ingest after a clean stop re-read 8,192 lines of an
    // 84 MB log (2,294 events skipped as stored) and reported the event the margin cut in
    // two as damaged (test/ingest/follow-clean-stop.test.ts).
    await this.commitAtStop();
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

  private async register(stream: FollowStream): Promise<FollowSource> {
    const { path, row: found, from } = stream;
    const row = found ?? this.session.registry.create(stream.key, stream.info, this.session.nowNs);
    const startLine = found === undefined || from === 0 ? 1 : from === found.committedOffset ? found.committedLine : undefined;
    // Every generation of the live file has the same path: the ordinal makes names unique.
    const name = `${path}${GENERATION_MARK}${this.files.length}`;
    const rs: FollowSource = { ...newReadSource(row, name, stream.key, stream.info, from, startLine, path), head: stream.head };
    // Its content hashed as a plain ingest hashes it (content-hash.ts), in this thread; a
    // restart re-hashes the part read before (not compared here: the follow plan decided
    // where to continue). A .gz being finished from inside is not hashed (its row: NULL).
    if (from === 0) rs.content = ContentHash.fresh();
    else if (stream.compressed !== true) {
      // Rotated away or replaced meanwhile: not hashed this time (the follow plan reads on).
      const prefix = await hashFilePrefix(path, from, undefined).catch(() => undefined);
      if (prefix !== undefined) rs.content = new ContentHash(prefix.hash, from);
    }
    this.session.sources.add(rs);
    this.session.reports.push(rs.report);
    this.files.push(rs);
    return rs;
  }

  /** One source's bytes -> parse stage -> session, committing between pieces (only there is the position exact). */
  private async read(rs: FollowSource, chunks: AsyncIterable<Buffer>): Promise<void> {
    const { sources } = this.session;
    this.stage.open({ ord: rs.ord, name: rs.name, startOffset: rs.startOffset, ...(rs.startLine !== undefined ? { startLine: rs.startLine } : {}), nameOrds: sources.newNameOrds() });
    for await (const piece of this.idle.of(piecesOf(chunks, this.pacer.pieceBytes))) {
      if (this.options.signal.aborted) break; // a long catch-up stops promptly too
      this.flushedFrom = undefined;
      if (rs.head.length < FULL_HEAD_BYTES && rs.startOffset + rs.report.bytes === rs.head.length) {
        rs.head = Buffer.concat([rs.head, piece.subarray(0, FULL_HEAD_BYTES - rs.head.length)]);
      }
      rs.content?.push(piece);
      await this.apply(this.stage.push(piece));
      rs.report.bytes += piece.length;
      if (this.pacer.read(piece.length)) await this.commit(this.at!);
    }
    if (!this.options.signal.aborted) {
      const b = this.stage.end();
      await this.apply(b);
      // The end of a rotated file: a last line without newline is read too.
      rs.consumedOffset = b.endedAt!.offset;
      if (b.endedAt!.line !== undefined) rs.consumedLine = b.endedAt!.line;
    }
  }

  /**
   * Hands a batch's events to the session once the writer knows their hosts (PostgreSQL
   * takes a new host's writer lock first), and notes its positions.
   */
  private async apply(b: StageBatch): Promise<void> {
    if (b.events.length > 0) {
      const takeHosts = this.session.history.prepareHosts(b.events);
      if (takeHosts !== undefined) await takeHosts();
      for (const e of b.events) this.session.onAuditdEvent(e);
    }
    for (const w of b.warnings) this.warn(w);
    const rs = this.session.sources.all[b.ord];
    if (rs !== undefined) {
      rs.report.lines += b.lines;
      if (b.consumedOffset !== undefined) rs.consumedOffset = b.consumedOffset;
      if (b.consumedLine !== undefined) rs.consumedLine = b.consumedLine;
    }
    this.at = { resume: b.resume, pending: b.pending };
    // No commit stops before the resume point any more: hash up to it now.
    this.session.sources.all[b.resume.ord]?.content?.advance(b.resume.offset);
  }

  /**
   * Idle (IdleCommits): the open events emitted (unfinished ones held unless `all`) and
   * committed; the resume point stays RESUME_CONTEXT_LINES before them, for a kill. True
   * when events were held.
   */
  private async flushAndCommit(all: boolean): Promise<boolean> {
    if (this.files.length === 0) return false;
    const b = this.stage.flushOpen(!all);
    await this.apply(b);
    // A second flush (held events emitted) keeps the first's window for a stop.
    this.flushedFrom ??= b.pending;
    await this.commit(b);
    return (b.held ?? 0) > 0;
  }

  /** Stop (see run): what was emitted committed, the resume point at the open window (or the last idle flush's). */
  private async commitAtStop(): Promise<void> {
    if (this.files.length === 0) return;
    const from = this.flushedFrom ?? this.at?.pending ?? positionOf(this.files[0]!);
    return this.commit({ resume: from, pending: from });
  }

  /** Commits with every source's resume position (see commit-positions.ts). Never final: a followed log's end is not final. */
  private async commit(at: Pick<StageBatch, 'resume' | 'pending'>): Promise<void> {
    this.pacer.committed();
    for (const s of this.files) {
      // The key follows the head as a young file grows to FULL_HEAD_BYTES.
      if (s.head.length > s.key.headBytes) s.key = sourceKeyOf(this.session.defaultHostId, s.head);
      s.info.size = s.startOffset + s.report.bytes;
    }
    await this.session.commit(at.resume, at.pending, false);
  }
}
