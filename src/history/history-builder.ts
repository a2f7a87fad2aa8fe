import type { EvidenceRef, ForkEvent, ProcEvent } from '../events/proc-event.js';
import { DEFAULT_HOST } from './history-types.js';
import type { HistoryWriter, ImageFields, WriteEvidence } from './history-writer.js';
import { imageWithCreds, isEmptyImage, withCreds } from './image-fields.js';
import { linkParent, pendingFromJson, pendingToJson, type HostTable, type LiveProc, type PendingThread } from './live-process-table.js';
import { classifyParentChange } from './parent-change.js';

/**
 * A child's own records may precede its parent's fork record (the child runs and execs
 * while the parent's clone has not returned yet, and auditd writes records at syscall
 * exit). A "seen since" instance opened at most this long before/after a fork of its pid
 * by its own parent is that fork's child, not another process.
 */
export const LATE_FORK_MERGE_NS = 2_000_000_000n;
/** clone3 children waiting for evidence that they are processes: at most this many per host... */
export const MAX_PENDING_THREADS = 4096;
/** ... and for at most this long in log time (posix_spawn children exec within milliseconds). */
export const PENDING_THREAD_TTL_NS = 30_000_000_000n;

const STATE_KEY = 'history-builder.pending-threads';

export interface HistoryBuilderOptions {
  /** Maps an event's evidence file to its sources.id (the ingest registers sources first). */
  sourceIdOf?: (file: string) => number | undefined;
}

export interface HistoryBuilderStats {
  events: Record<string, number>;
  instancesOpened: number;
  instancesClosed: number;
  /** Instances closed because evidence showed them gone (pid reuse, reparented children). */
  inferredEnds: number;
  reparents: number;
  /** Same pid, different parent while the old parent lived: a new process we never saw forked. */
  unseenPidReuses: number;
  /** Early "seen since" sightings merged into the fork record that came after them. */
  lateForksMerged: number;
  threadsConfirmed: number;
  pendingThreadsDropped: number;
  losses: number;
}

/**
 * ProcEvents -> history rows. Owns the live-process table; writes instances, parent
 * changes, images and losses through a HistoryWriter. Rules in the order they matter for a
 * correct parent (each one's evidence is in its comment below and in parent-change.ts).
 */
export class HistoryBuilder {
  readonly stats: HistoryBuilderStats = {
    events: {},
    instancesOpened: 0,
    instancesClosed: 0,
    inferredEnds: 0,
    reparents: 0,
    unseenPidReuses: 0,
    lateForksMerged: 0,
    threadsConfirmed: 0,
    pendingThreadsDropped: 0,
    losses: 0,
  };
  private readonly hosts = new Map<string, HostTable>();
  private readonly hostsById = new Map<number, HostTable>();
  private readonly sourceIdOf: (file: string) => number | undefined;

  constructor(
    private readonly writer: HistoryWriter,
    options: HistoryBuilderOptions = {},
  ) {
    this.sourceIdOf = options.sourceIdOf ?? (() => undefined);
    this.restore();
  }

  /** Live processes held, all hosts (the memory bound). */
  get liveCount(): number {
    let n = 0;
    for (const h of this.hosts.values()) n += h.live.size;
    return n;
  }

  /** Writes what the next run needs besides the rows (call inside the commit's transaction). */
  saveState(): void {
    const state: Record<string, unknown[]> = {};
    for (const [id, h] of this.hostsById) if (h.pending.size > 0) state[id] = pendingToJson(h.pending.values());
    this.writer.setState(STATE_KEY, Object.keys(state).length === 0 ? undefined : JSON.stringify(state));
  }

  /** Rebuilds the live table from instances without an end, and pending clone3 children. */
  private restore(): void {
    for (const o of this.writer.openInstances()) {
      const h = this.hostById(o.hostId);
      const p: LiveProc = { id: o.id, pid: o.pid, startNs: o.startNs, startKnown: o.startKnown };
      if (o.ppid !== undefined) p.ppid = o.ppid;
      if (o.orphanRowId !== undefined) p.orphanRowId = o.orphanRowId;
      if (o.image !== undefined) p.image = o.image;
      h.live.set(o.pid, p);
      linkParent(h, p, o.parentId);
    }
    const saved = this.writer.getState(STATE_KEY);
    if (saved === undefined) return;
    for (const [hostId, list] of Object.entries(JSON.parse(saved) as Record<string, unknown>)) {
      const h = this.hostById(Number(hostId));
      for (const p of pendingFromJson(list)) h.pending.set(p.childPid, p);
    }
  }

  private hostById(id: number): HostTable {
    let h = this.hostsById.get(id);
    if (h === undefined) {
      h = { hostId: id, live: new Map(), children: new Map(), pending: new Map() };
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
    const h = this.host(e.host);
    const t = e.timestampNs;
    const ev = this.evidence(e.evidence);
    switch (e.kind) {
      case 'fork':
        return this.fork(h, e, ev);
      case 'exec': {
        const p = this.touch(h, e.pid, t, e.ppid, ev);
        this.setImage(p, t, 'exec', imageWithCreds(e.image, e.creds), ev);
        return;
      }
      case 'observed': {
        const p = this.touch(h, e.pid, t, e.ppid, ev, e.startTimeNs);
        // First sight of what a pre-existing process runs; later sightings add nothing new
        // (an image changes only by exec, which has its own event).
        if (p.image === undefined) {
          const image = imageWithCreds(e.image, e.creds);
          if (!isEmptyImage(image)) this.setImage(p, t, 'seen', image, ev);
        }
        return;
      }
      case 'exit':
        return this.exit(h, e.pid, t, e.ppid, e.certainty ?? 'observed', e.exitCode, e.exitSignal, ev);
      case 'creds': {
        const p = this.touch(h, e.pid, t, undefined, ev);
        this.setImage(p, t, 'creds', withCreds(p.image, e.creds), ev);
        return;
      }
      case 'comm': {
        const p = this.touch(h, e.pid, t, undefined, ev);
        this.setImage(p, t, 'comm', { ...p.image, comm: e.comm }, ev);
        return;
      }
      case 'sid':
      case 'ptrace':
      case 'coredump':
        this.touch(h, e.pid, t, undefined, ev);
        return;
      case 'loss':
        this.stats.losses++;
        this.writer.insertLoss(h.hostId, t, e.count, e.reason, ev);
        return;
    }
  }

  private fork(h: HostTable, e: ForkEvent, ev: WriteEvidence | undefined): void {
    const t = e.timestampNs;
    // The creator's fork record is evidence of the creator itself. Its image describes the
    // creator only when audit reported the creator's own ppid (CLONE_PARENT forks name the
    // caller's parent as parent but carry the caller's image).
    const parent = this.touch(h, e.parentPid, t, e.parentPpid, ev, undefined, e.parentPpid !== undefined ? e : undefined);
    const child = e.childPid;
    h.pending.delete(child); // a new clone returning this pid: an older unconfirmed one is gone

    const existing = h.live.get(child);
    if (existing !== undefined && existing.id !== parent.id) {
      if (this.mergeLateFork(h, existing.id, existing, parent, t, ev)) return;
      // clone() returned this pid, so it was free: whoever held it has ended by now
      // (a killed process leaves no exit record).
      this.close(h, existing, t, 'inferred', 'pid-reused', undefined, undefined, ev);
    } else if (existing === undefined && this.mergeLateFork(h, undefined, undefined, parent, t, ev, child)) {
      return;
    }
    if (e.maybeThread === true) {
      this.addPending(h, { childPid: child, parentPid: parent.pid, parentId: parent.id, forkNs: t, ...(parent.image ? { image: parent.image } : {}), ...(ev ? { evidence: ev } : {}) });
      return;
    }
    this.openForked(h, child, t, parent.pid, parent.id, parent.image, ev);
  }

  /**
   * The child's own records came first and opened a "seen since" instance (live, or
   * already ended when the child exited before the clone record was written): when it was
   * opened within LATE_FORK_MERGE_NS of the fork and names the same parent (or none),
   * it is this fork's child. Returns true when merged.
   */
  private mergeLateFork(
    h: HostTable,
    liveId: number | undefined,
    live: LiveProc | undefined,
    parent: LiveProc,
    t: bigint,
    ev: WriteEvidence | undefined,
    pid?: number,
  ): boolean {
    const last = this.writer.lastInstance(h.hostId, live?.pid ?? pid!);
    if (last === undefined || last.startKnown) return false;
    if (liveId !== undefined && last.id !== liveId) return false;
    if (liveId === undefined && last.endNs === undefined) return false;
    const distance = last.startNs > t ? last.startNs - t : t - last.startNs;
    if (distance > LATE_FORK_MERGE_NS) return false;
    const parents = this.writer.parentSummary(last.id);
    if (parents.hasHistory) return false;
    if (parents.ppid !== undefined && parents.ppid !== parent.pid) return false;
    this.writer.setForkStart(last.id, t, parent.pid, parent.id, ev);
    this.writer.setFirstParentFromFork(last.id, { sinceNs: t, ppid: parent.pid, parentId: parent.id, kind: 'fork', ...(ev ? { evidence: ev } : {}) });
    if (live !== undefined) {
      live.startNs = t;
      live.startKnown = true;
      live.ppid = parent.pid;
      linkParent(h, live, parent.id);
      if (live.image === undefined && parent.image !== undefined) live.image = parent.image;
    }
    this.stats.lateForksMerged++;
    return true;
  }

  private addPending(h: HostTable, p: PendingThread): void {
    // Oldest first (insertion order): drop what is too old or over the bound. Unconfirmed
    // clone3 children were threads (or processes that never left a record of their own).
    for (const [pid, old] of h.pending) {
      if (h.pending.size < MAX_PENDING_THREADS && p.forkNs - old.forkNs <= PENDING_THREAD_TTL_NS) break;
      h.pending.delete(pid);
      this.stats.pendingThreadsDropped++;
    }
    h.pending.set(p.childPid, p);
  }

  private openForked(
    h: HostTable,
    pid: number,
    t: bigint,
    parentPid: number,
    parentId: number | undefined,
    image: ImageFields | undefined,
    ev: WriteEvidence | undefined,
  ): LiveProc {
    const id = this.writer.insertInstance({
      hostId: h.hostId,
      pid,
      startNs: t,
      startKnown: true,
      creatorPid: parentPid,
      ...(parentId !== undefined ? { creatorId: parentId } : {}),
      ...(ev ? { evidence: ev } : {}),
    });
    this.writer.insertParent({ instanceId: id, sinceNs: t, ppid: parentPid, ...(parentId !== undefined ? { parentId } : {}), kind: 'fork', ...(ev ? { evidence: ev } : {}) });
    // The child runs its creator's image until it execs: no row, the query inherits it.
    const p: LiveProc = { id, pid, startNs: t, startKnown: true, ppid: parentPid };
    if (image !== undefined) p.image = image;
    h.live.set(pid, p);
    // A clone3 child confirmed late whose creator has ended since: not linked (it was
    // orphaned at a time we do not know; its own records will name its parent).
    const parent = h.live.get(parentPid);
    if (parentId !== undefined && parent?.id === parentId) linkParent(h, p, parentId);
    this.stats.instancesOpened++;
    return p;
  }

  private openSeen(h: HostTable, pid: number, t: bigint, ppid: number | undefined, ev: WriteEvidence | undefined, startTimeNs?: bigint): LiveProc {
    // Never invent a start: "seen since" the evidence, unless the source knew it (/proc).
    const startNs = startTimeNs ?? t;
    const id = this.writer.insertInstance({ hostId: h.hostId, pid, startNs, startKnown: startTimeNs !== undefined, ...(ev ? { evidence: ev } : {}) });
    const p: LiveProc = { id, pid, startNs, startKnown: startTimeNs !== undefined };
    h.live.set(pid, p);
    this.stats.instancesOpened++;
    if (ppid !== undefined) this.setParent(h, p, ppid, t, 'seen', ev);
    return p;
  }

  /**
   * Evidence that `pid` is alive at `t` (its own record). Opens it when unknown (confirming
   * a pending clone3 child first), and applies a parent change the record shows.
   */
  private touch(
    h: HostTable,
    pid: number,
    t: bigint,
    ppid: number | undefined,
    ev: WriteEvidence | undefined,
    startTimeNs?: bigint,
    seenIn?: ForkEvent,
  ): LiveProc {
    let p = h.live.get(pid);
    if (p === undefined) {
      const pending = h.pending.get(pid);
      if (pending !== undefined) {
        // Its own record under its own pid: the clone3 child was a process, born at the fork.
        h.pending.delete(pid);
        this.stats.threadsConfirmed++;
        p = this.openForked(h, pid, pending.forkNs, pending.parentPid, pending.parentId, pending.image, pending.evidence);
      } else {
        p = this.openSeen(h, pid, t, ppid, ev, startTimeNs);
        if (seenIn !== undefined) this.setSeenImage(p, t, seenIn, ev);
        return p;
      }
    }
    if (ppid !== undefined && p.orphanRowId !== undefined) {
      this.resolveOrphan(h, p, ppid, t, ev);
    } else if (ppid !== undefined && ppid !== p.ppid) {
      if (p.ppid === undefined) this.setParent(h, p, ppid, t, 'seen', ev);
      else p = this.changeParent(h, p, ppid, t, ev);
    }
    if (p.image === undefined && seenIn !== undefined) this.setSeenImage(p, t, seenIn, ev);
    return p;
  }

  /** The creator's image as its fork record shows it (built only when it is needed). */
  private setSeenImage(p: LiveProc, t: bigint, fork: ForkEvent, ev: WriteEvidence | undefined): void {
    const image = imageWithCreds(fork.parentImage, fork.parentCreds);
    if (!isEmptyImage(image)) this.setImage(p, t, 'seen', image, ev);
  }

  private changeParent(h: HostTable, p: LiveProc, ppid: number, t: bigint, ev: WriteEvidence | undefined): LiveProc {
    const verdict = classifyParentChange(h.live, p, ppid);
    switch (verdict.kind) {
      case 'reparent':
        this.stats.reparents++;
        this.setParent(h, p, ppid, t, verdict.verified ? 'reparent' : 'reparent-unverified', ev);
        // Its siblings were orphaned too (they get orphan rows; this one has its reaper).
        if (verdict.oldParentEnded !== undefined) {
          this.close(h, verdict.oldParentEnded, t, 'inferred', 'children-reparented', undefined, undefined, ev);
        }
        return p;
      case 'pid-reused':
        this.stats.unseenPidReuses++;
        this.close(h, p, t, 'inferred', 'pid-reused-unseen-fork', undefined, undefined, ev);
        return this.openSeen(h, p.pid, t, ppid, ev);
    }
  }

  /**
   * A record names the parent of a process we orphaned when its parent ended: the kernel
   * reparented it at that moment, so the reaper it names (init, or a child subreaper) is
   * written back to the orphan row's time. A reaper that cannot be one (not init and not an
   * ancestor... unknowable here) is taken as named: the orphan row is the earliest time.
   */
  private resolveOrphan(h: HostTable, p: LiveProc, ppid: number, t: bigint, ev: WriteEvidence | undefined): void {
    const parent = this.parentFor(h, p, ppid, t, ev);
    this.writer.resolveOrphanRow(p.orphanRowId!, ppid, parent?.id);
    delete p.orphanRowId;
    p.ppid = ppid;
    linkParent(h, p, parent?.id);
  }

  /** The live instance of `ppid`, opening a "seen since" one when the log never showed it. */
  private parentFor(h: HostTable, p: LiveProc, ppid: number, t: bigint, ev: WriteEvidence | undefined): LiveProc | undefined {
    return h.live.get(ppid) ?? (ppid > 0 && ppid !== p.pid ? this.openSeen(h, ppid, t, undefined, ev) : undefined);
  }

  /** The parent ended: the kernel gave its children to a reaper right then (init unless a subreaper exists). */
  private orphanChildren(h: HostTable, parent: LiveProc, t: bigint, ev: WriteEvidence | undefined): void {
    const children = h.children.get(parent.id);
    if (children === undefined) return;
    for (const c of [...children]) {
      const init = h.live.get(1);
      const rowId = this.writer.insertParent({ instanceId: c.id, sinceNs: t, ppid: 1, ...(init ? { parentId: init.id } : {}), kind: 'orphaned', ...(ev ? { evidence: ev } : {}) });
      c.ppid = 1;
      c.orphanRowId = rowId;
      linkParent(h, c, init?.id);
    }
  }

  private setParent(h: HostTable, p: LiveProc, ppid: number, t: bigint, kind: 'seen' | 'reparent' | 'reparent-unverified', ev: WriteEvidence | undefined): void {
    // A record naming a parent is evidence that the parent is alive then (the kernel
    // reparents children of a dead process at once): a parent never seen before is a
    // process that existed before the log, "seen since" this record.
    const parent = this.parentFor(h, p, ppid, t, ev);
    this.writer.insertParent({ instanceId: p.id, sinceNs: t, ppid, ...(parent ? { parentId: parent.id } : {}), kind, ...(ev ? { evidence: ev } : {}) });
    p.ppid = ppid;
    delete p.orphanRowId;
    linkParent(h, p, parent?.id);
  }

  private setImage(p: LiveProc, t: bigint, kind: 'exec' | 'seen' | 'creds' | 'comm', image: ImageFields, ev: WriteEvidence | undefined): void {
    this.writer.insertImage(p.id, t, kind, image, ev);
    p.image = image;
  }

  private exit(
    h: HostTable,
    pid: number,
    t: bigint,
    ppid: number | undefined,
    certainty: 'observed' | 'inferred',
    exitCode: number | undefined,
    exitSignal: number | undefined,
    ev: WriteEvidence | undefined,
  ): void {
    if (!h.live.has(pid) && !h.pending.has(pid)) {
      // Already closed by inference (its children were reparented, its pid reused): the
      // exit record gives the real end, which can only be earlier.
      const last = this.writer.lastInstance(h.hostId, pid);
      if (last?.endNs !== undefined && last.endCertainty === 'inferred' && last.endNs >= t && last.startNs <= t) {
        if (certainty === 'observed') this.writer.endInstance(last.id, { endNs: t, certainty, ...exitFields(exitCode, exitSignal), ...(ev ? { evidence: ev } : {}) });
        return;
      }
      if (certainty === 'inferred') return; // nothing known to end
    }
    const p = this.touch(h, pid, t, ppid, ev);
    this.close(h, p, t, certainty, certainty === 'inferred' ? 'source-inferred' : undefined, exitCode, exitSignal, ev);
  }

  private close(
    h: HostTable,
    p: LiveProc,
    t: bigint,
    certainty: 'observed' | 'inferred',
    reason: string | undefined,
    exitCode: number | undefined,
    exitSignal: number | undefined,
    ev: WriteEvidence | undefined,
  ): void {
    // An end before the start would make the instance exist at no time: out-of-order
    // evidence; clamp to the start so the interval stays valid.
    const endNs = t < p.startNs ? p.startNs : t;
    this.writer.endInstance(p.id, {
      endNs,
      certainty,
      ...(reason !== undefined ? { reason } : {}),
      ...exitFields(exitCode, exitSignal),
      ...(ev ? { evidence: ev } : {}),
    });
    if (h.live.get(p.pid) === p) h.live.delete(p.pid);
    linkParent(h, p, undefined);
    this.orphanChildren(h, p, endNs, ev);
    this.stats.instancesClosed++;
    if (certainty === 'inferred') this.stats.inferredEnds++;
  }
}

function exitFields(exitCode: number | undefined, exitSignal: number | undefined): { exitCode?: number; exitSignal?: number } {
  const out: { exitCode?: number; exitSignal?: number } = {};
  if (exitCode !== undefined) out.exitCode = exitCode;
  if (exitSignal !== undefined) out.exitSignal = exitSignal;
  return out;
}
