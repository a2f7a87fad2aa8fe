import type { EvidenceRef, ProcEvent } from '../events/proc-event.js';
import type { BuilderContext } from './builder-context.js';
import { BuilderState } from './builder-state.js';
import { newBuilderStats, type HistoryBuilderStats } from './builder-stats.js';
import { applyExit } from './exit-event.js';
import { applyFork } from './fork-event.js';
import { DEFAULT_HOST } from './history-types.js';
import type { HistoryWriter, WriteEvidence } from './history-writer.js';
import { imageWithCreds, isEmptyImage, withCreds } from './image-fields.js';
import type { HostTable } from './live-process-table.js';
import { setImage, touch } from './touch-process.js';

export type { HistoryBuilderStats } from './builder-stats.js';
export { LATE_FORK_MERGE_NS, MAX_PENDING_THREADS, PENDING_THREAD_TTL_NS } from './fork-event.js';

export interface HistoryBuilderOptions {
  /** Maps an event's evidence file to its sources.id (the ingest registers sources first). */
  sourceIdOf?: (file: string) => number | undefined;
}

/**
 * ProcEvents -> history rows. Owns the live-process table; writes instances, parent
 * changes, images and losses through a HistoryWriter. The rules live one per module:
 * fork-event.ts (forks, late forks, clone3 children), touch-process.ts (first sightings,
 * parent changes, orphans), exit-event.ts and close-instance.ts (ends), namespace-forks.ts
 * (forks inside pid namespaces), parent-change.ts (reparent or pid reuse).
 */
export class HistoryBuilder {
  readonly stats: HistoryBuilderStats = newBuilderStats();
  private readonly ctx: BuilderContext;
  private readonly hosts = new Map<string, HostTable>();
  private readonly hostsById = new Map<number, HostTable>();
  private readonly sourceIdOf: (file: string) => number | undefined;
  private readonly state: BuilderState;

  constructor(
    private readonly writer: HistoryWriter,
    options: HistoryBuilderOptions = {},
  ) {
    this.ctx = { writer, stats: this.stats };
    this.sourceIdOf = options.sourceIdOf ?? (() => undefined);
    this.state = new BuilderState(writer);
    this.state.restore((id) => this.hostById(id));
  }

  /** Live processes held, all hosts (the memory bound). */
  get liveCount(): number {
    let n = 0;
    for (const h of this.hosts.values()) n += h.live.size;
    return n;
  }

  /** Restores a host the writer took after this builder was made (see BuilderState.restoreHost). */
  restoreHost(hostId: number): void {
    this.state.restoreHost(hostId, (id) => this.hostById(id));
  }

  /** Writes what the next run needs besides the rows (call inside the commit's transaction). */
  saveState(): void {
    this.state.save(this.hostsById.values(), this.stats.namespacedCallers > 0);
  }

  private hostById(id: number): HostTable {
    let h = this.hostsById.get(id);
    if (h === undefined) {
      h = { hostId: id, live: new Map(), children: new Map(), pending: new Map(), awaiting: new Map(), claims: new Map() };
      this.hostsById.set(id, h);
    }
    return h;
  }

  private host(name: string | undefined): HostTable {
    const key = name ?? DEFAULT_HOST;
    let h = this.hosts.get(key);
    if (h === undefined) {
      h = this.hostById(this.writer.hostId(key));
      this.hosts.set(key, h);
    }
    return h;
  }

  private evidence(e: EvidenceRef | undefined): WriteEvidence | undefined {
    if (e === undefined) return undefined;
    const w: WriteEvidence = { off: e.offset };
    const src = this.sourceIdOf(e.file);
    if (src !== undefined) w.src = src;
    if (e.line !== undefined) w.line = e.line;
    if (e.id !== undefined) w.rec = e.id;
    return w;
  }

  onEvent(e: ProcEvent): void {
    this.stats.events[e.kind] = (this.stats.events[e.kind] ?? 0) + 1;
    const ctx = this.ctx;
    const h = this.host(e.host);
    const t = e.timestampNs;
    if (h.lastRecordNs === undefined || t > h.lastRecordNs) h.lastRecordNs = t;
    const ev = this.evidence(e.evidence);
    switch (e.kind) {
      case 'fork':
        return applyFork(ctx, h, e, ev);
      case 'exec': {
        const p = touch(ctx, h, e.pid, t, e.ppid, ev, undefined, undefined, true);
        setImage(ctx, p, t, 'exec', imageWithCreds(e.image, e.creds), ev);
        return;
      }
      case 'observed': {
        const p = touch(ctx, h, e.pid, t, e.ppid, ev, e.startTimeNs);
        // First sight of what a pre-existing process runs; later sightings add nothing new
        // (an image changes only by exec, which has its own event).
        if (p.image === undefined) {
          const image = imageWithCreds(e.image, e.creds);
          if (!isEmptyImage(image)) setImage(ctx, p, t, 'seen', image, ev);
        }
        return;
      }
      case 'exit':
        return applyExit(ctx, h, e, ev);
      case 'creds': {
        const p = touch(ctx, h, e.pid, t, undefined, ev);
        setImage(ctx, p, t, 'creds', withCreds(p.image, e.creds), ev);
        return;
      }
      case 'comm': {
        const p = touch(ctx, h, e.pid, t, undefined, ev);
        setImage(ctx, p, t, 'comm', { ...p.image, comm: e.comm }, ev);
        return;
      }
      case 'sid':
      case 'ptrace':
      case 'coredump':
        touch(ctx, h, e.pid, t, undefined, ev);
        return;
      case 'loss':
        this.stats.losses++;
        this.writer.insertLoss(h.hostId, t, e.count, e.reason, ev);
        return;
    }
  }
}
