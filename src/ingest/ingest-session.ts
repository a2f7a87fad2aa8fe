import type { IngestWarning } from '../events/event-sink.js';
import type { ProcEvent } from '../events/proc-event.js';
import type { HistoryBuilder } from '../history/history-builder.js';
import { commitPositions } from './commit-positions.js';
import { filteredLogHint } from './loss-hint.js';
import type { IngestSummary, InputReport } from './ingest-summary.js';
import type { ReadPosition } from './position-ring.js';
import { SourceList } from './read-source.js';
import { ResumeGuard, type SavedGuard } from './resume-guard.js';
import type { IngestTarget } from './ingest-target.js';
import type { SourceRegistry } from './source-registry.js';
import { SkippedRecords } from './skipped-records.js';
import { RecordRanges } from './repeated-records.js';
import { auditPoint } from './record-range.js';
import { SourceRecords } from './source-records.js';

/** Where the resume guard of auditd ingests is kept: plain ingest and --follow share it. */
export const GUARD_KEY = 'ingest.auditd.guard';

export interface SessionOptions {
  /** Host for records without node= (and for connector captures). */
  host?: string;
  /** false: drop audit serial-gap losses (filtered logs, see auditd-adapter.ts detectLoss). */
  detectLoss?: boolean;
}

/**
 * What one ingest run (plain or --follow) holds while it writes a history database: the
 * builder, the source registry and the run's sources, the resume guard that makes
 * re-reading idempotent, the counters of the summary, and the commit that stores rows,
 * every source's resume position and the guard in one transaction.
 */
export class IngestSession {
  readonly builder: HistoryBuilder;
  readonly registry: SourceRegistry;
  readonly sources = new SourceList();
  /** Reports of every input in reading order (read, resumed, already ingested, skipped). */
  readonly reports: InputReport[] = [];
  readonly defaultHostId: number;
  readonly nowNs = BigInt(Date.now()) * 1_000_000n;
  readonly detectLoss: boolean;
  private guardState: ResumeGuard | undefined;
  private rangesState: RecordRanges | undefined;
  /** What each source holds, as its row records it (source-records.ts). */
  readonly records: SourceRecords;
  private readonly events: Record<string, number> = {};
  private readonly skipped = new SkippedRecords();
  private commits = 0;
  /** Serial-gap losses seen in the auditd inputs, for the filtered-log hint (loss-hint.ts). */
  private serialGaps = 0;
  private missingEvents = 0;

  constructor(
    readonly history: IngestTarget,
    options: SessionOptions,
  ) {
    this.builder = history.builder({ sourceIdOf: this.sources.idOf });
    this.registry = history.registry;
    this.defaultHostId = history.writer.hostId(options.host ?? '');
    this.detectLoss = options.detectLoss !== false;
    this.records = new SourceRecords(() => this.registry.evidence(this.defaultHostId));
  }

  /** The resume guard, read from the database when first needed (connector-only runs never touch it). */
  get guard(): ResumeGuard {
    if (this.guardState === undefined) {
      const saved = this.history.writer.getState(GUARD_KEY);
      this.guardState = new ResumeGuard(saved === undefined ? undefined : (JSON.parse(saved) as SavedGuard));
    }
    return this.guardState;
  }

  /**
   * Audit-id spans of the default host's sources (repeated-records.ts), read from the
   * history when an input is first checked; from then on each auditd event widens its own.
   */
  get ranges(): RecordRanges {
    if (this.rangesState === undefined) this.rangesState = new RecordRanges(this.registry.evidence(this.defaultHostId));
    return this.rangesState;
  }

  /** An auditd event in reading order: stored unless it was stored by an earlier run. */
  onAuditdEvent = (e: ProcEvent): void => {
    // Serial gaps in a filtered log (grep, ausearch) are not losses.
    if (e.kind === 'loss' && !this.detectLoss) return;
    if (e.kind === 'loss') {
      this.serialGaps++;
      this.missingEvents += e.count ?? 0;
    }
    const guard = this.guard;
    const ev = e.evidence;
    const src = ev === undefined ? undefined : this.sources.idOf(ev.file);
    const p = src === undefined || ev?.id === undefined ? undefined : auditPoint(ev.id);
    if (p !== undefined) this.rangesState?.widen(src!, ev!.file, p);
    const storedNow = !guard.isStored(e, src, this.sources.ordOf);
    if (storedNow) this.store(e);
    // A loss's id is the gap's, not a record's.
    if (p !== undefined && e.kind !== 'loss') this.records.see(src!, ev!.file, p, ev!.offset, storedNow);
    guard.record(e, src);
  };

  /** An event stored as is (connector captures are ingested whole, once). */
  store = (e: ProcEvent): void => {
    this.events[e.kind] = (this.events[e.kind] ?? 0) + 1;
    this.builder.onEvent(e);
  };

  warn = (w: IngestWarning): void => {
    if (w.reason === 'serial-reset' && !this.detectLoss) return; // part of loss detection
    this.skipped.add(w);
  };

  /**
   * Commits the rows, each source's resume position (see commit-positions.ts) and the
   * resume guard together, then opens the next transaction.
   */
  async commit(resume: ReadPosition, pending: ReadPosition, final: boolean): Promise<void> {
    const all = this.sources.all;
    if (all.length === 0) return;
    commitPositions(this.registry, all, resume, final, this.nowNs, (src) => this.records.of(src));
    const at = (p: ReadPosition) => ({ src: all[p.ord]!.id, off: p.offset });
    this.history.writer.setState(GUARD_KEY, JSON.stringify(this.guard.checkpoint(at(resume), at(pending), this.sources.ordOf)));
    await this.commitRows();
    this.history.begin();
  }

  /** Saves the builder's live state and commits the transaction. */
  async commitRows(): Promise<void> {
    this.builder.saveState();
    await this.history.commit();
    this.commits++;
  }

  summary(lines: number, durationMs: number): IngestSummary {
    let bytes = 0;
    for (const r of this.reports) bytes += r.bytes;
    const hint = filteredLogHint({ gaps: this.serialGaps, missingEvents: this.missingEvents, records: lines });
    return {
      ...(hint !== undefined ? { filteredLogHint: hint } : {}),
      inputs: this.reports,
      lines,
      bytes,
      events: this.events,
      skipped: this.skipped.counts,
      skippedAt: this.skipped.firstAt,
      alreadyStored: this.guardState?.skipped ?? 0,
      builder: this.builder.stats,
      commits: this.commits,
      durationMs,
    };
  }
}
