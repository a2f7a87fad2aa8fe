import { stopSignal, stoppedExitCode } from '../cli/commands/stop-signal.js';
import { UserError } from '../cli/user-error.js';
import { damageNote } from './damage-note.js';
import { EventBatchReader, hostsOf } from './event-batch-codec.js';
import { CommitPacer, piecesOf } from './commit-pacer.js';
import { IDLE_COMMIT_MS, IdleCommits } from './idle-commit.js';
import { ingestConnectorCapture } from './ingest-connector.js';
import { IngestSession } from './ingest-session.js';
import { openIngestTarget } from './ingest-target.js';
import type { IngestSummary } from './ingest-summary.js';
import { openAuditdSource, type OpenedSource } from './open-auditd-source.js';
import { createParseClient, MAX_PIECES_AHEAD, WORKER_MIN_BYTES, workerAvailable, type ParseIn } from './parse-client.js';
import type { StageBatch, StageSource } from './parse-stage.js';
import type { ReadPosition } from './position-ring.js';
import { planInputs, type PlannedInput } from './plan-inputs.js';
import { positionOf, type ReadSource } from './read-source.js';
import { RecordProbe } from './record-probe.js';

export interface IngestOptions {
  db: string;
  inputs: string[];
  format?: 'auto' | 'auditd' | 'proc-connector';
  /** Host for records without node= (and for connector captures). */
  host?: string;
  /** Connector replay: wall-clock ns at boot (overrides the capture's meta file). */
  bootTimeNs?: bigint;
  stdin?: NodeJS.ReadableStream;
  /**
   * The name stdin (`-`) is recorded under, in the source registry and in every piece of
   * evidence (`--source-name`); default `-`, which explain and report cannot read again.
   */
  stdinName?: string;
  /** Commit after this many lines or this much time, whichever first. */
  commitEveryLines?: number;
  commitEveryMs?: number;
  /** Where line splitting + the adapter run (default auto: a worker thread for large inputs). */
  parseIn?: ParseIn;
  /** false: no audit serial-gap loss detection (logs filtered with grep/ausearch: their gaps are not losses). */
  detectLoss?: boolean;
  /** Seconds to wait for another writer of the same history (PostgreSQL: of the same host). */
  waitS?: number;
  /**
   * true (the CLI): SIGINT / SIGTERM stop the run once it writes (not while it waits for the
   * writer lock): reading stops, what was parsed is committed up to the last batch's resume
   * point, and the summary says `stopped`. A second signal exits at once (the last commit stays).
   */
  stopOnSignal?: boolean;
}

/** Where a stopped run ended (IngestSummary.stopped), filled in by ingestAuditd. */
interface StopState {
  signal: AbortSignal;
  stopped?: NonNullable<IngestSummary['stopped']>;
}

export { RESUME_CONTEXT_LINES } from './parse-stage.js';

/**
 * `proc-tree ingest`: inputs -> adapter -> history builder -> SQLite, committed in batches
 * together with each source's resume position, so a killed run loses nothing committed and
 * a re-run (or an appended file) continues exactly where the data stops.
 */
export async function runIngest(options: IngestOptions): Promise<IngestSummary> {
  const started = Date.now();
  const planned = await planInputs(options.inputs);
  const history = await openIngestTarget(options.db, {
    ...(options.host !== undefined ? { host: options.host } : {}),
    ...(options.waitS !== undefined ? { waitS: options.waitS } : {}),
  });
  // Installed once this run is the writer: a run queued behind another (--wait) is still
  // stopped by Ctrl-C at once, holding nothing.
  const signals = options.stopOnSignal === true ? stopSignal() : undefined;
  const stop: StopState | undefined = signals === undefined ? undefined : { signal: signals.signal };
  // A second signal (e.g. while the final commit runs) exits at once: better-sqlite3 runs each
  // statement synchronously, so it lands between statements and SQLite's journal (PostgreSQL:
  // the dropped connection) rolls back the open transaction; the last commit stays.
  const again = (name: NodeJS.Signals): void => {
    process.stderr.write(`proc-tree ingest: second ${name}: exiting now; what was committed is kept: run the same command again to continue\n`);
    process.exit(stoppedExitCode(name));
  };
  const armAgain = (): void => {
    process.on('SIGINT', again);
    process.on('SIGTERM', again);
  };
  signals?.signal.addEventListener('abort', armAgain, { once: true });
  try {
    const session = new IngestSession(history, {
      ...(options.host !== undefined ? { host: options.host } : {}),
      ...(options.detectLoss !== undefined ? { detectLoss: options.detectLoss } : {}),
    });
    const auditd: PlannedInput[] = [];
    const connector: PlannedInput[] = [];
    for (const p of planned) {
      const format = options.format === undefined || options.format === 'auto' ? (p.sniffed ?? 'auditd') : options.format;
      if (format === 'proc-connector' && p.unreadable === undefined) {
        if (p.path === '-' || p.compression !== 'none') throw new UserError(`${p.path}: proc-connector captures are read from plain files, not stdin or archives`);
        connector.push(p);
      } else auditd.push(p);
    }
    const lines = auditd.length > 0 ? await ingestAuditd(session, auditd, options, stop) : 0;
    for (const p of connector) {
      // Stopped: the captures not started are left for the next run (each is ingested whole).
      if (stop?.signal.aborted === true) {
        stop.stopped ??= { signal: String(stop.signal.reason), path: p.path, offset: 0, ...(p.size !== undefined ? { size: p.size } : {}) };
        break;
      }
      await ingestConnectorCapture(session, p, options);
    }
    const summary = session.summary(lines, Date.now() - started);
    if (stop?.stopped !== undefined) summary.stopped = stop.stopped;
    // Everything is committed (SQLite: no -wal/-shm needed by whoever reads the file next).
    await history.finish();
    return summary;
  } finally {
    signals?.dispose();
    signals?.signal.removeEventListener('abort', armAgain);
    process.off('SIGINT', again);
    process.off('SIGTERM', again);
    await history.close();
  }
}

/**
 * All auditd inputs as one sequence through one parse stage (events straddle rotations).
 * The stage (line splitting + adapter) runs in a worker thread for large inputs; this
 * thread applies its batches in order and commits between them, where positions are exact.
 * Returns the lines the adapter saw.
 */
async function ingestAuditd(session: IngestSession, inputs: PlannedInput[], options: IngestOptions, stop?: StopState): Promise<number> {
  /**
   * Whether the last batch applied carried a resume point (a stop commits there): not after a
   * source's last batch, whose events come after its last point; the stop then waits for the
   * next source's first batch (or the end of the run).
   */
  let atPoint = true;
  const stopped = (): boolean => atPoint && stop?.signal.aborted === true;
  const { sources, history } = session;
  void session.guard; // the previous run's guard, read before this run writes
  const parser = createParseClient(parseIn(inputs, options.parseIn), options.host);
  const pacer = new CommitPacer(options.commitEveryLines, options.commitEveryMs);
  let adapterLines = 0;
  /** Events the last idle flush left open (they looked unfinished). */
  let lastHeld = 0;
  /** Positions of the last batch applied since the last commit (undefined: nothing to commit). */
  let uncommitted: { resume: ReadPosition; pending: ReadPosition } | undefined;
  /** Sizes of the sources read as plain files, by ord. */
  const plainSizes = new Map<number, number>();
  /** Applies the next batch: its events, then (between pieces only) maybe a commit. */
  const apply = async (): Promise<void> => {
    const b = await parser.take();
    const encoded = b.encoded;
    const takeHosts = history.prepareHosts(encoded === undefined ? b.events : hostsOf(encoded));
    if (takeHosts !== undefined) await takeHosts();
    if (encoded === undefined) for (const e of b.events) session.onAuditdEvent(e);
    else {
      const reader = new EventBatchReader(encoded);
      for (let e = reader.next(); e !== undefined; e = reader.next()) session.onAuditdEvent(e);
    }
    for (const w of b.warnings) session.warn(w);
    if (b.adapterLines !== undefined) adapterLines = b.adapterLines;
    if (b.held !== undefined) lastHeld = b.held;
    const rs = sources.all[b.ord];
    atPoint = false;
    if (rs === undefined) return;
    rs.report.lines += b.lines;
    if (b.consumedOffset === undefined) {
      rs.finished = true; // end of the source
      takeDigests(b);
      return;
    }
    rs.consumedOffset = b.consumedOffset;
    if (b.consumedLine !== undefined) rs.consumedLine = b.consumedLine;
    // No commit stops before the resume point any more: hash up to it now.
    sources.all[b.resume.ord]?.content?.advance(b.resume.offset);
    takeDigests(b);
    uncommitted = { resume: b.resume, pending: b.pending };
    atPoint = true;
    if (pacer.read(b.bytes)) {
      await session.commit(b.resume, b.pending, false);
      pacer.committed();
      uncommitted = undefined;
    }
  };
  /** The content digests the parse stage computed (sources hashed there, read from their start). */
  const takeDigests = (b: StageBatch): void => {
    const end = b.endDigest === undefined ? undefined : sources.all[b.ord]?.stageDigests;
    if (end !== undefined) end.end = b.endDigest;
    const resume = b.resumeDigest === undefined ? undefined : sources.all[b.resume.ord]?.stageDigests;
    if (resume === undefined) return;
    // The last few: a commit uses the resume point of the last batch that consumed input.
    resume.resumes.unshift(b.resumeDigest!);
    if (resume.resumes.length > 4) resume.resumes.pop();
  };
  /** A quiet stdin: its open events emitted (unfinished ones held unless `all`), everything applied and committed; true when events were held (idle-commit.ts). */
  const commitIdle = async (all: boolean): Promise<boolean> => {
    parser.flushOpen(!all);
    await drain(0);
    if (uncommitted !== undefined) {
      await session.commit(uncommitted.resume, uncommitted.pending, false);
      pacer.committed();
      uncommitted = undefined;
    }
    return lastHeld > 0;
  };
  const drain = async (max: number): Promise<void> => {
    while (parser.inFlight > max) await apply();
  };
  /** Sources read from their start, judged once all their batches are applied. */
  const probed: { rs: ReadSource; probe: RecordProbe; input: PlannedInput }[] = [];
  /** One source through the parser; a damaged stream is kept up to the damage and reported. */
  const read = async ({ rs, chunks }: OpenedSource, input: PlannedInput): Promise<void> => {
    sources.add(rs);
    session.reports.push(rs.report);
    // Its bytes are the log's (not a .gz, a zip entry or stdin): a stop says how far of its size.
    if (input.compression === 'none' && input.path !== '-' && rs.info.size !== undefined) plainSizes.set(rs.ord, rs.info.size);
    const source: StageSource = { ord: rs.ord, name: rs.name, startOffset: rs.startOffset, nameOrds: sources.newNameOrds() };
    if (rs.startLine !== undefined) source.startLine = rs.startLine;
    // Read from its start: hashed in the parse stage (the worker thread for large inputs), off this thread.
    if (rs.startOffset === 0 && rs.content !== undefined) {
      rs.stageDigests = { start: rs.content.at(0)!, resumes: [] };
      delete rs.content;
      source.hash = true;
    }
    parser.open(source);
    const probe = rs.startOffset === 0 ? new RecordProbe() : undefined;
    try {
      let first = true;
      const pieces = piecesOf(chunks, pacer.pieceBytes);
      for await (const piece of input.path === '-' ? new IdleCommits(IDLE_COMMIT_MS, commitIdle).of(pieces) : pieces) {
        // Stopped: leaving the loop closes the reader; the parse worker is ended below.
        if (stopped()) break;
        rs.report.bytes += piece.length;
        probe?.see(piece);
        rs.content?.push(piece);
        // Moved to the worker when it can be (not the first: the sniffed head may be a view of it).
        parser.push(piece, !first);
        first = false;
        await drain(MAX_PIECES_AHEAD);
        if (stopped()) break;
      }
      if (stopped()) return;
      // A last line without newline is ingested, but the committed position stays before
      // it: a file still being written continues there (its events are re-read and skipped).
      parser.end();
      await drain(MAX_PIECES_AHEAD);
    } catch (error) {
      // A damaged compressed file (cut short, corrupt): keep what was read before the
      // damage, report it, and go on with the next input.
      if (!(error instanceof UserError)) throw error;
      await drain(0);
      session.warn({ reason: 'damaged-input', detail: error.message, position: { file: rs.name, offset: rs.consumedOffset } });
      rs.report.note = damageNote(error.message, rs);
      rs.report.unread = rs.report.note;
    }
    if (probe !== undefined) probed.push({ rs, probe, input });
  };

  let halted = false;
  history.begin();
  try {
    for (const input of inputs) {
      const opened = openAuditdSource(session, input, options.stdin, options.stdinName);
      for (;;) {
        let next: IteratorResult<OpenedSource>;
        try {
          next = await opened.next();
        } catch (error) {
          // Gone or unreadable since it was planned (e.g. rotated away meanwhile): report it, go on.
          if (!(error instanceof UserError)) throw error;
          session.reports.push({ path: input.path, format: 'auditd', status: 'skipped', fromOffset: 0, bytes: 0, lines: 0, note: error.message, unread: error.message });
          session.warn({ reason: 'unreadable-input', detail: error.message });
          break;
        }
        if (next.done || stopped()) break;
        await read(next.value, input);
        if (stopped()) break;
      }
      if (stopped()) break;
    }
    halted = stopped();
    // Stopped: the batches still in the parse stage are dropped with it (they are re-read).
    if (!halted) {
      parser.finish();
      await drain(0);
    }
  } finally {
    await parser.close();
  }
  if (halted) {
    // As a batch commit would: up to the resume point of the last batch applied, nothing
    // after it, no source marked complete; the next run continues exactly there.
    if (uncommitted !== undefined) await session.commit(uncommitted.resume, uncommitted.pending, false);
    await history.commit();
    // How far it read and stored (the next run resumes a little before, at the resume point,
    // and skips what is stored).
    const rs = sources.all[sources.all.length - 1];
    if (rs !== undefined) {
      const size = plainSizes.get(rs.ord);
      stop!.stopped = { signal: String(stop!.signal.reason), path: rs.report.path, offset: rs.consumedOffset, ...(size !== undefined ? { size } : {}) };
    } else stop!.stopped = { signal: String(stop!.signal.reason), path: inputs[0]!.path, offset: 0 };
    // The adapter's own count comes with the stage's last batch, which a stop drops.
    return Math.max(adapterLines, sources.all.reduce((n, r) => n + r.report.lines, 0));
  }
  for (const { rs, probe, input } of probed) noteRecords(rs, probe.found, input);
  // End of the run: every source committed to where it was consumed; a source whose last
  // line had no newline stays before that line, and the last source's point is where a
  // re-run starts.
  const all = sources.all;
  if (all.length > 0) {
    const end = positionOf(all[all.length - 1]!);
    await session.commit(end, end, true);
  }
  await history.commit();
  return adapterLines;
}

/**
 * Says what an input read from its start held. One without any audit record (empty, or
 * not a log) is left unregistered as read (committed at its start, not complete), so a
 * re-run says the same instead of "already ingested".
 */
function noteRecords(rs: ReadSource, found: boolean, input: PlannedInput): void {
  rs.report.hasRecords = found;
  if (found) return;
  rs.consumedOffset = rs.startOffset;
  if (rs.startLine === undefined) delete rs.consumedLine;
  else rs.consumedLine = rs.startLine;
  rs.finished = false;
  const empty = rs.report.bytes === 0;
  const what = empty ? (input.inDirectory ? 'empty (normal for a freshly rotated log)' : 'empty: 0 records') : `0 audit records in ${rs.report.bytes} bytes: not an audit log?`;
  rs.report.note = rs.report.note === undefined ? what : `${rs.report.note}; ${what}`;
}

/** Inline for small inputs, a worker thread for large ones (PROC_TREE_PARSE_IN forces either). */
function parseIn(inputs: PlannedInput[], option: ParseIn | undefined): 'inline' | 'worker' {
  const forced = option ?? (process.env.PROC_TREE_PARSE_IN as ParseIn | undefined);
  if (forced === 'inline' || forced === 'worker') return forced;
  // Run from TypeScript sources (tests): there is no compiled worker to start.
  if (!workerAvailable()) return 'inline';
  let bytes = 0;
  for (const p of inputs) {
    if (p.size === undefined) return 'worker'; // stdin: assume a long stream
    // Compressed audit logs expand about tenfold.
    bytes += p.compression === 'none' ? p.size : p.size * 10;
  }
  return bytes >= WORKER_MIN_BYTES ? 'worker' : 'inline';
}
