import { readProcConnectorCapture } from '../../adapters/proc-connector/read-capture.js';
import type { EventSink, IngestWarning } from '../events/event-sink.js';
import type { ProcEvent } from '../events/proc-event.js';
import type { HistoryBuilder } from '../history/history-builder.js';
import { WritableHistory } from '../history/history-database.js';
import { UserError } from '../cli/user-error.js';
import { openInputs } from '../sources/open-inputs.js';
import { skipBytes } from '../sources/peek-stream.js';
import type { InputReport, IngestSummary } from './ingest-summary.js';
import { planInputs, type PlannedInput } from './plan-inputs.js';
import { createParseClient, MAX_PIECES_AHEAD, WORKER_MIN_BYTES, workerAvailable, type ParseIn } from './parse-client.js';
import type { StageBatch, StageSource } from './parse-stage.js';
import type { ReadPosition } from './position-ring.js';
import { ResumeGuard, type SavedGuard } from './resume-guard.js';
import { FULL_HEAD_BYTES, sha256, SourceRegistry, type SourceInfo, type SourceKey } from './source-registry.js';

export interface IngestOptions {
  db: string;
  inputs: string[];
  format?: 'auto' | 'auditd' | 'proc-connector';
  /** Host for records without node= (and for connector captures). */
  host?: string;
  /** Connector replay: wall-clock ns at boot (overrides the capture's meta file). */
  bootTimeNs?: bigint;
  stdin?: NodeJS.ReadableStream;
  /** Commit after this many lines or this much time, whichever first. */
  commitEveryLines?: number;
  commitEveryMs?: number;
  /** Where line splitting + the adapter run (default auto: a worker thread for large inputs). */
  parseIn?: ParseIn;
}

export { RESUME_CONTEXT_LINES } from './parse-stage.js';
const DEFAULT_COMMIT_LINES = 200_000;
const DEFAULT_COMMIT_MS = 2_000;
const GUARD_KEY = 'ingest.auditd.guard';

/** One input being read in this run, in reading order (`ord`). */
interface RunSource {
  ord: number;
  id: number;
  name: string;
  key: SourceKey;
  info: SourceInfo;
  startOffset: number;
  startLine?: number;
  /** After the last complete line handed to the adapter. */
  consumedOffset: number;
  consumedLine?: number;
  finished: boolean;
  report: InputReport;
}

/**
 * `proc-tree ingest`: inputs -> adapter -> history builder -> SQLite, committed in batches
 * together with each source's resume position, so a killed run loses nothing committed and
 * a re-run (or an appended file) continues exactly where the data stops.
 */
export async function runIngest(options: IngestOptions): Promise<IngestSummary> {
  const started = Date.now();
  const planned = await planInputs(options.inputs);
  const history = WritableHistory.open(options.db);
  try {
    const run = new IngestRun(history, options);
    const auditd: PlannedInput[] = [];
    const connector: PlannedInput[] = [];
    for (const p of planned) {
      const format = options.format === undefined || options.format === 'auto' ? (p.sniffed ?? 'auditd') : options.format;
      if (format === 'proc-connector') {
        if (p.path === '-' || p.compression !== 'none') throw new UserError(`${p.path}: proc-connector captures are read from plain files, not stdin or archives`);
        connector.push(p);
      } else auditd.push(p);
    }
    if (auditd.length > 0) await run.auditd(auditd);
    for (const p of connector) await run.procConnector(p);
    return run.summary(Date.now() - started);
  } finally {
    history.close();
  }
}

class IngestRun {
  private readonly builder: HistoryBuilder;
  private readonly registry: SourceRegistry;
  private readonly defaultHostId: number;
  private readonly srcByName = new Map<string, number>();
  private readonly reports: InputReport[] = [];
  private readonly events: Record<string, number> = {};
  private readonly skipped: Record<string, number> = {};
  private alreadyStored = 0;
  private lines = 0;
  private bytes = 0;
  private commits = 0;
  private readonly nowNs = BigInt(Date.now()) * 1_000_000n;

  constructor(
    private readonly history: WritableHistory,
    private readonly options: IngestOptions,
  ) {
    this.builder = history.builder({ sourceIdOf: (file) => this.srcByName.get(file) });
    this.registry = new SourceRegistry(history.db);
    this.defaultHostId = history.writer.hostId(options.host ?? '');
  }

  summary(durationMs: number): IngestSummary {
    return {
      inputs: this.reports,
      lines: this.lines,
      bytes: this.bytes,
      events: this.events,
      skipped: this.skipped,
      alreadyStored: this.alreadyStored,
      builder: this.builder.stats,
      commits: this.commits,
      durationMs,
    };
  }

  private warn = (w: IngestWarning): void => {
    this.skipped[w.reason] = (this.skipped[w.reason] ?? 0) + 1;
  };

  /**
   * All auditd inputs as one sequence through one parse stage (events straddle rotations).
   * The stage (line splitting + adapter) runs in a worker thread for large inputs; this
   * thread applies its batches in order and commits between them, where positions are exact.
   */
  async auditd(inputs: PlannedInput[]): Promise<void> {
    const savedJson = this.history.writer.getState(GUARD_KEY);
    const guard = new ResumeGuard(savedJson === undefined ? undefined : (JSON.parse(savedJson) as SavedGuard));
    const sources: RunSource[] = [];
    const ordBySrc = new Map<number, number>();
    const ordOf = (src: number): number | undefined => ordBySrc.get(src);
    const onEvent = (e: ProcEvent): void => {
      const src = e.evidence === undefined ? undefined : this.srcByName.get(e.evidence.file);
      if (!guard.isStored(e, src, ordOf)) {
        this.events[e.kind] = (this.events[e.kind] ?? 0) + 1;
        this.builder.onEvent(e);
      }
      guard.record(e, src);
    };
    const parser = createParseClient(this.parseIn(inputs), this.options.host);
    const commitEveryLines = this.options.commitEveryLines ?? DEFAULT_COMMIT_LINES;
    const commitEveryMs = this.options.commitEveryMs ?? DEFAULT_COMMIT_MS;

    const commit = (at: StageBatch | undefined): void => {
      if (sources.length === 0) return;
      // Final: every source to where it was consumed (see finalPosition).
      const pending = at === undefined ? finalPosition(sources) : at.pending;
      const resume = at === undefined ? pending : at.resume;
      for (const s of sources) {
        if (s.ord < resume.ord) this.registry.commit(s.id, s.consumedOffset, s.consumedLine, s.finished, s.key, s.info, this.nowNs);
        else if (s.ord === resume.ord) {
          const complete = at === undefined && s.finished && resume.offset >= s.consumedOffset;
          this.registry.commit(s.id, resume.offset, resume.line, complete, s.key, s.info, this.nowNs);
        } else this.registry.commit(s.id, s.startOffset, s.startLine, false, s.key, s.info, this.nowNs);
      }
      const pos = (p: ReadPosition) => ({ src: sources[p.ord]!.id, off: p.offset });
      this.history.writer.setState(GUARD_KEY, JSON.stringify(guard.checkpoint(pos(resume), pos(pending), ordOf)));
      this.builder.saveState();
      this.history.commit();
      this.commits++;
      this.history.begin();
    };

    let linesSinceCommit = 0;
    let lastCommit = Date.now();
    let adapterLines = 0;
    /** Applies the next batch: its events, then (between pieces only) maybe a commit. */
    const apply = async (): Promise<void> => {
      const b = await parser.take();
      for (const e of b.events) onEvent(e);
      for (const w of b.warnings) this.warn(w);
      if (b.adapterLines !== undefined) adapterLines = b.adapterLines;
      const rs = sources[b.ord];
      if (rs === undefined) return;
      rs.report.lines += b.lines;
      if (b.consumedOffset === undefined) {
        rs.finished = true; // end of the source
        return;
      }
      rs.consumedOffset = b.consumedOffset;
      if (b.consumedLine !== undefined) rs.consumedLine = b.consumedLine;
      linesSinceCommit += b.bytes >>> 7; // ~128 bytes per audit line: cheap estimate
      if (linesSinceCommit >= commitEveryLines || Date.now() - lastCommit >= commitEveryMs) {
        commit(b);
        linesSinceCommit = 0;
        lastCommit = Date.now();
      }
    };
    const drain = async (max: number): Promise<void> => {
      while (parser.inFlight > max) await apply();
    };

    this.history.begin();
    try {
      for (const input of inputs) {
        for await (const opened of this.openAuditd(input)) {
          const { rs, chunks } = opened;
          rs.ord = sources.length;
          sources.push(rs);
          ordBySrc.set(rs.id, rs.ord);
          this.srcByName.set(rs.name, rs.id);
          this.reports.push(rs.report);
          const nameOrds: [string, number][] = [];
          for (const [name, id] of this.srcByName) {
            const ord = ordBySrc.get(id);
            if (ord !== undefined) nameOrds.push([name, ord]);
          }
          const source: StageSource = { ord: rs.ord, name: rs.name, startOffset: rs.startOffset, nameOrds };
          if (rs.startLine !== undefined) source.startLine = rs.startLine;
          parser.open(source);
          // Commits happen between pieces (only there is the read position exact): pieces
          // no larger than the commit interval keep small intervals honest.
          const pieceBytes = Math.max(4096, Math.min(1 << 20, commitEveryLines * 128));
          try {
            for await (const whole of chunks) {
              for (let at = 0; at < whole.length; at += pieceBytes) {
                const chunk = whole.length <= pieceBytes ? whole : whole.subarray(at, at + pieceBytes);
                parser.push(chunk);
                rs.report.bytes += chunk.length;
                await drain(MAX_PIECES_AHEAD);
              }
            }
          } catch (error) {
            // A damaged compressed file (cut short, corrupt): keep what was read before the
            // damage, report it, and go on with the next input.
            if (!(error instanceof UserError)) throw error;
            await drain(0);
            this.warn({ reason: 'damaged-input', detail: error.message, position: { file: rs.name, offset: rs.consumedOffset } });
            rs.report.note = `${error.message}; ingested up to byte ${rs.consumedOffset}`;
            continue;
          }
          // A last line without newline is ingested, but the committed position stays before
          // it: a file still being written continues there (its events are re-read and skipped).
          parser.end();
          await drain(MAX_PIECES_AHEAD);
        }
      }
      parser.finish();
      await drain(0);
    } finally {
      await parser.close();
    }
    commit(undefined);
    this.history.commit();
    this.lines += adapterLines;
    this.alreadyStored += guard.skipped;
    for (const r of this.reports) this.bytes += r.bytes;
  }

  /** Inline for small inputs, a worker thread for large ones (PROC_TREE_PARSE_IN forces either). */
  private parseIn(inputs: PlannedInput[]): 'inline' | 'worker' {
    const forced = this.options.parseIn ?? (process.env.PROC_TREE_PARSE_IN as ParseIn | undefined);
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

  /** Opens one planned input at its resume position, yielding each stream to read. */
  private async *openAuditd(input: PlannedInput): AsyncGenerator<{ rs: RunSource; chunks: AsyncIterable<Buffer> }> {
    const base: SourceInfo = { path: input.path };
    if (input.size !== undefined) base.size = input.size;
    if (input.dev !== undefined) base.dev = input.dev;
    if (input.inode !== undefined) base.inode = input.inode;
    if (input.path === '-') {
      for await (const opened of openInputs('-', this.options.stdin ? { stdin: this.options.stdin } : {})) {
        const key = this.keyOf(opened.head.subarray(0, FULL_HEAD_BYTES));
        const found = this.registry.find(key);
        yield this.prepare(opened.name, key, base, found, skipBytes(opened.chunks, found?.committedOffset ?? 0), 'auditd');
      }
      return;
    }
    if (input.compression === 'zip') {
      const archive = sha256(input.head!);
      for await (const opened of openInputs(input.path)) {
        const entry = opened.name.slice(opened.name.indexOf('!/') + 2);
        const key: SourceKey = { hostId: this.defaultHostId, format: 'auditd', headSha256: sha256(`${archive}!/${entry}`), headBytes: FULL_HEAD_BYTES };
        const found = this.registry.find(key);
        if (found?.complete) {
          this.reportDone(opened.name, found.committedOffset);
          continue;
        }
        yield this.prepare(opened.name, key, { ...base, path: opened.name }, found, skipBytes(opened.chunks, found?.committedOffset ?? 0), 'auditd');
      }
      return;
    }
    const key = this.keyOf(input.head!);
    const found = this.registry.find(key);
    if (found !== undefined) {
      // Read to its end before and unchanged since: nothing to do (no need to decompress).
      if (found.complete && found.size === input.size) {
        this.reportDone(input.path, found.committedOffset);
        return;
      }
      if (input.compression === 'none' && input.size !== undefined && input.size < found.committedOffset) {
        this.reports.push({ path: input.path, format: 'auditd', status: 'skipped', fromOffset: 0, bytes: 0, lines: 0, note: `shorter than the ${found.committedOffset} bytes already ingested from it: not the same file any more?` });
        this.warn({ reason: 'input-shrank', detail: input.path });
        return;
      }
    }
    const from = found?.committedOffset ?? 0;
    for await (const opened of openInputs(input.path, { startOffset: from })) {
      yield this.prepare(opened.name, key, base, found, opened.chunks, 'auditd');
    }
  }

  private keyOf(head: Buffer): SourceKey {
    return { hostId: this.defaultHostId, format: 'auditd', headSha256: sha256(head), headBytes: head.length, head };
  }

  private reportDone(path: string, offset: number): void {
    this.reports.push({ path, format: 'auditd', status: 'already-ingested', fromOffset: offset, bytes: 0, lines: 0 });
  }

  private prepare(
    name: string,
    key: SourceKey,
    info: SourceInfo,
    found: ReturnType<SourceRegistry['find']>,
    chunks: AsyncIterable<Buffer>,
    format: string,
  ): { rs: RunSource; chunks: AsyncIterable<Buffer> } {
    const row = found ?? this.registry.create(key, info, this.nowNs);
    const startOffset = found?.committedOffset ?? 0;
    // Line numbers restart where the committed position was; unknown when it was not recorded.
    const startLine = found === undefined ? 1 : found.committedLine;
    const rs: RunSource = {
      ord: -1,
      id: row.id,
      name,
      key,
      info,
      startOffset,
      consumedOffset: startOffset,
      finished: false,
      report: { path: name, format, status: startOffset > 0 ? 'resumed' : 'read', fromOffset: startOffset, bytes: 0, lines: 0 },
    };
    if (startLine !== undefined) {
      rs.startLine = startLine;
      rs.consumedLine = startLine;
    }
    return { rs, chunks };
  }

  /**
   * A connector capture is replayed in two passes by its adapter, so it is ingested in one
   * transaction: all of it or (killed) nothing. Once complete it is recognised and skipped.
   */
  async procConnector(input: PlannedInput): Promise<void> {
    const key: SourceKey = { hostId: this.defaultHostId, format: 'proc-connector', headSha256: sha256(input.head!), headBytes: input.head!.length, head: input.head! };
    const found = this.registry.find(key);
    const report: InputReport = { path: input.path, format: 'proc-connector', status: 'read', fromOffset: 0, bytes: 0, lines: 0 };
    this.reports.push(report);
    if (found?.complete) {
      report.status = found.size === input.size ? 'already-ingested' : 'skipped';
      if (found.size !== input.size) {
        report.note = 'the capture grew since it was ingested; a capture is ingested whole, once: ingest a new capture file instead';
        this.warn({ reason: 'capture-grew', detail: input.path });
      }
      return;
    }
    const info: SourceInfo = { path: input.path };
    if (input.size !== undefined) info.size = input.size;
    if (input.dev !== undefined) info.dev = input.dev;
    if (input.inode !== undefined) info.inode = input.inode;
    this.history.begin();
    const row = found ?? this.registry.create(key, info, this.nowNs);
    this.srcByName.set(input.path, row.id);
    const sink: EventSink = {
      onEvent: (e) => {
        this.events[e.kind] = (this.events[e.kind] ?? 0) + 1;
        this.builder.onEvent(e);
      },
      onWarning: this.warn,
    };
    const replay = await readProcConnectorCapture(input.path, sink, {
      ...(this.options.bootTimeNs !== undefined ? { bootTimeNs: this.options.bootTimeNs } : {}),
      ...(this.options.host !== undefined ? { host: this.options.host } : {}),
    });
    report.bytes = replay.bytes;
    this.bytes += replay.bytes;
    if (replay.damagedAt !== undefined) report.note = `damaged from byte ${replay.damagedAt}: ingested up to there`;
    this.registry.commit(row.id, replay.damagedAt ?? replay.bytes, undefined, true, key, info, this.nowNs);
    this.builder.saveState();
    this.history.commit();
    this.commits++;
  }
}

function positionOf(s: RunSource): ReadPosition {
  return s.consumedLine === undefined ? { ord: s.ord, offset: s.consumedOffset } : { ord: s.ord, offset: s.consumedOffset, line: s.consumedLine };
}

/**
 * End of the run: every source committed to its end, except that a source whose last line
 * had no newline stays before that line (see above). The earliest such point is where a
 * re-run starts.
 */
function finalPosition(sources: RunSource[]): ReadPosition {
  const last = sources[sources.length - 1]!;
  return positionOf(last);
}
