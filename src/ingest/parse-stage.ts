import { createAuditdAdapter, type AuditdAdapter } from '../../adapters/auditd/index.js';
import type { IngestWarning } from '../events/event-sink.js';
import type { ProcEvent } from '../events/proc-event.js';
import type { EncodedEvents } from './event-batch-codec.js';
import { createLineSplitter, type LineSplitter } from '../sources/line-splitter.js';
import { ContentHash, type ContentDigest } from './content-hash.js';
import { PositionRing, type ReadPosition } from './position-ring.js';

/** Lines re-read before the adapter's oldest pending record on resume (>= the gap detector's window of 1,024 serials, several records each). */
export const RESUME_CONTEXT_LINES = 8192;
const RING_LINES = 65_536;

/** A source to read next, as the ingest registered it. */
export interface StageSource {
  ord: number;
  name: string;
  startOffset: number;
  startLine?: number;
  /** Source names read since the previous open -> the reading ordinal a position in it maps to (the stage keeps the earlier ones). */
  nameOrds: [string, number][];
  /** Hash its content (read from byte 0): batches then carry its digests (content-hash.ts). */
  hash?: true;
}

/**
 * What one step of the parse stage produced: the events and warnings of a piece of input,
 * and the positions a commit at this point needs (exact only between pieces).
 */
export interface StageBatch {
  events: ProcEvent[];
  warnings: IngestWarning[];
  /** Source the step read (-1 for finish). */
  ord: number;
  /** Lines handed to the adapter in this step. */
  lines: number;
  bytes: number;
  /** After the last complete line (absent after `end`: a last line without newline stays unread). */
  consumedOffset?: number;
  consumedLine?: number;
  /** Set by `end`: where the source ended, after a last line without newline (what a follow counts as read). */
  endedAt?: ReadPosition;
  /** The adapter's oldest pending record (or the read position when none is pending) ... */
  pending: ReadPosition;
  /** ... and RESUME_CONTEXT_LINES before it: where a resumed run starts reading. */
  resume: ReadPosition;
  /** The events encoded for the hop between threads (then `events` is empty). */
  encoded?: EncodedEvents;
  /** Set by `finish`: lines the adapter saw in the whole run. */
  adapterLines?: number;
  /** The SHA-256 of the resume point's source up to `resume` (when the stage hashes that source). */
  resumeDigest?: ContentDigest;
  /** Set by `end` of a hashed source: its SHA-256 up to its last complete line (where it is committed once read). */
  endDigest?: ContentDigest;
  /** Set by `flushOpen`: events it left open (they looked unfinished). */
  held?: number;
}

/**
 * Line splitting + the auditd adapter for a whole ingest, one step per piece of input.
 * Has no database: it runs in a worker thread for large inputs (parse-worker.ts) so that
 * parsing and SQLite writing use the two cores, or in the ingest's thread for small ones.
 */
export class ParseStage {
  private readonly adapter: AuditdAdapter;
  private readonly ring = new PositionRing(RING_LINES);
  private events: ProcEvent[] = [];
  private warnings: IngestWarning[] = [];
  private splitter: LineSplitter | undefined;
  private source: StageSource | undefined;
  private readonly nameOrds = new Map<string, number>();
  private lines = 0;
  /** Content hashes of the hashed sources by ord, kept while the resume point may stop in them. */
  private readonly hashes = new Map<number, ContentHash>();

  constructor(host: string | undefined) {
    const sink = {
      onEvent: (e: ProcEvent) => this.events.push(e),
      onWarning: (w: IngestWarning) => this.warnings.push(w),
    };
    this.adapter = createAuditdAdapter(sink, host === undefined ? {} : { host });
  }

  open(s: StageSource): void {
    this.source = s;
    if (s.hash === true && s.startOffset === 0) this.hashes.set(s.ord, ContentHash.fresh());
    for (const [name, ord] of s.nameOrds) this.nameOrds.set(name, ord);
    const ring = this.ring;
    const adapter = this.adapter;
    const file = s.name;
    const ord = s.ord;
    this.splitter = createLineSplitter({
      file,
      startOffset: s.startOffset,
      ...(s.startLine !== undefined ? { startLine: s.startLine } : {}),
      onLine: (text, offset, line) => {
        ring.push(ord, offset, line);
        adapter.pushLine(text, line === undefined ? { file, offset } : { file, offset, line });
        this.lines++;
      },
      onSkip: (w) => adapter.skipLine(w),
    });
  }

  push(chunk: Uint8Array): StageBatch {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    this.hashes.get(this.source!.ord)?.push(buf);
    this.splitter!.push(buf);
    return this.take(chunk.length, true);
  }

  /** End of the current source: a last line without newline is ingested, its position not consumed. */
  end(): StageBatch {
    const splitter = this.splitter!;
    const endDigest = this.hashes.get(this.source!.ord)?.peek(splitter.consumedOffset);
    splitter.end();
    const batch = this.take(0, false);
    if (endDigest !== undefined) batch.endDigest = endDigest;
    const line = splitter.lineNumber;
    batch.endedAt = line === undefined ? { ord: batch.ord, offset: splitter.consumedOffset } : { ord: batch.ord, offset: splitter.consumedOffset, line };
    return batch;
  }

  /** Lines the adapter saw so far (finish's batch carries the total too). */
  get adapterLines(): number {
    return this.adapter.stats().lines;
  }

  /**
   * The input went quiet (idle-commit.ts): emits the adapter's open events now, so they can
   * be committed and queried, without ending the input; with `holdUnfinished`, those that
   * look cut short stay open (`held`: see AuditdAdapter.flushPending). The batch's `pending`
   * and `resume` are taken before the flush: a run killed after committing it re-reads
   * those events with their context (and skips them as stored).
   */
  flushOpen(holdUnfinished = false): StageBatch {
    const batch = this.take(0, true);
    batch.held = this.adapter.flushPending({ holdUnfinished });
    batch.events = this.events;
    batch.warnings = this.warnings;
    this.events = [];
    this.warnings = [];
    return batch;
  }

  finish(): StageBatch {
    this.adapter.finish();
    const batch = this.take(0, false);
    batch.ord = -1;
    batch.adapterLines = this.adapter.stats().lines;
    return batch;
  }

  private take(bytes: number, consumed: boolean): StageBatch {
    const s = this.source;
    const splitter = this.splitter;
    const read: ReadPosition = { ord: s?.ord ?? 0, offset: splitter?.consumedOffset ?? 0 };
    const ln = splitter?.lineNumber;
    if (ln !== undefined) read.line = ln;
    const pending = this.pendingPosition(read);
    const resume = this.ring.before(pending, RESUME_CONTEXT_LINES);
    const batch: StageBatch = {
      events: this.events,
      warnings: this.warnings,
      ord: s?.ord ?? 0,
      lines: this.lines,
      bytes,
      pending,
      resume,
    };
    const digest = this.resumeDigest(resume);
    if (digest !== undefined) batch.resumeDigest = digest;
    if (consumed) {
      batch.consumedOffset = read.offset;
      if (ln !== undefined) batch.consumedLine = ln;
    }
    this.events = [];
    this.warnings = [];
    this.lines = 0;
    return batch;
  }

  /** The hash of the resume point's source up to it (hashed for good: no commit stops earlier); sources before it are let go. */
  private resumeDigest(resume: ReadPosition): ContentDigest | undefined {
    for (const ord of this.hashes.keys()) if (ord < resume.ord) this.hashes.delete(ord);
    const h = this.hashes.get(resume.ord);
    if (h === undefined) return undefined;
    h.advance(resume.offset);
    return h.at(resume.offset);
  }

  private pendingPosition(read: ReadPosition): ReadPosition {
    const at = this.adapter.oldestPendingPosition();
    if (at === undefined) return read;
    const ord = this.nameOrds.get(at.file) ?? read.ord;
    return at.line === undefined ? { ord, offset: at.offset } : { ord, offset: at.offset, line: at.line };
  }
}
