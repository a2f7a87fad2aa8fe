import type { ImageFields, WriteEvidence } from './history-writer.js';

/**
 * The history builder's in-memory state for one host: only processes that are alive now
 * (bounded by the live process count, not by the log) and clone3 children waiting for
 * evidence that they are processes rather than threads (bounded by MAX_PENDING_THREADS).
 * Everything here can be rebuilt from the database (see HistoryBuilder.restore).
 */
export interface LiveProc {
  id: number;
  pid: number;
  startNs: bigint;
  startKnown: boolean;
  /** Current parent pid, undefined until evidence names it. */
  ppid?: number;
  /** The parent instance when it was known (kept in step with HostTable.children). */
  parentId?: number;
  /** Its parent exited and the reaper is only assumed (init): the row to fix when a record names it. */
  orphanRowId?: number;
  /** Image in force now (shared by reference with children forked meanwhile: never mutate). */
  image?: ImageFields;
  /** Opened by its creator's fork record and not yet confirmed by a record of its own. */
  unconfirmed?: boolean;
  /** The fork record that opened it (kept for namespace-forks.ts while it is unconfirmed). */
  forkEvidence?: WriteEvidence;
  /**
   * It runs inside a pid namespace: what its forks return are namespace-local pids, not
   * this host table's (see namespace-forks.ts). Its children are matched to its forks.
   */
  nsLocal?: true;
}

/** A clone3 child that may be a thread (see ForkEvent.maybeThread). */
export interface PendingThread {
  childPid: number;
  parentPid: number;
  parentId?: number;
  forkNs: bigint;
  image?: ImageFields;
  evidence?: WriteEvidence;
}

/** A fork by a process inside a pid namespace: its child's host pid is not known yet. */
export interface AwaitingFork {
  forkNs: bigint;
  /** The namespace-local pid the fork returned (kept as evidence only, never used as a key). */
  localPid: number;
  evidence?: WriteEvidence;
}

export interface HostTable {
  hostId: number;
  live: Map<number, LiveProc>;
  /** Live processes by parent instance id: who is orphaned when a process ends. */
  children: Map<number, Set<LiveProc>>;
  pending: Map<number, PendingThread>;
  /** Forks of namespaced (nsLocal) processes by the creator's instance id, oldest first. */
  awaiting: Map<number, AwaitingFork[]>;
  /** Recent matches of namespaced children to forks, by creator instance id (to put them in pid order). */
  claims: Map<number, NamespaceClaim[]>;
  /** Time of the latest record of this host read so far (where its history ends). */
  lastRecordNs?: bigint;
}

/** A child of a namespaced process matched to one of its creator's fork records. */
export interface NamespaceClaim {
  child: LiveProc;
  fork: AwaitingFork;
  /** The child's first record: no fork after it can be its own. */
  firstSeenNs: bigint;
}

/** Sets `p`'s parent instance, keeping the children index in step. */
export function linkParent(h: HostTable, p: LiveProc, parentId: number | undefined): void {
  if (p.parentId !== undefined) {
    const set = h.children.get(p.parentId);
    set?.delete(p);
    if (set?.size === 0) h.children.delete(p.parentId);
  }
  if (parentId === undefined) {
    delete p.parentId;
    return;
  }
  p.parentId = parentId;
  let set = h.children.get(parentId);
  if (set === undefined) {
    set = new Set();
    h.children.set(parentId, set);
  }
  set.add(p);
}

/** JSON form of pending threads (bigint as decimal strings) for resume_state. */
export function pendingToJson(pending: Iterable<PendingThread>): unknown[] {
  return [...pending].map((p) => ({ ...p, forkNs: p.forkNs.toString() }));
}

export function pendingFromJson(list: unknown): PendingThread[] {
  if (!Array.isArray(list)) return [];
  return list.map((p: PendingThread & { forkNs: string }) => ({ ...p, forkNs: BigInt(p.forkNs) }));
}
