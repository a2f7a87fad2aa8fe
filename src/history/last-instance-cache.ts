import type { LastInstance } from './history-writer.js';

/**
 * The newest instance (by start_ns, then id) of each (host, pid), kept in step with the
 * writer's own writes so the builder's "who held this pid last?" (asked for nearly every
 * fork) needs no SELECT. Exact, never a guess: it only answers what it saw written, what
 * it read from SQLite, or "none" for a host that had no instance when this writer first
 * touched it; everything else is "unknown" and the caller asks SQLite (then remembers).
 * Valid while this writer is the database's only writer and its transactions are not
 * rolled back (a rollback happens only when the database is closed).
 */
export type CachedLast = Omit<LastInstance, 'ppid' | 'hasHistory'> & { pid: number; hostId: number };

/** Entries held, all hosts: bounds memory (a pid_max of 4M would otherwise mean 4M entries). */
export const MAX_CACHED_PIDS = 1 << 18;

/** A fresh host's pid whose answer is no longer known (its newest instance moved back in time). */
const STALE = 0;

interface HostCache {
  /** True when the host had no instance at first touch: then a pid missing here has none. */
  fresh: boolean;
  byPid: Map<number, CachedLast | null | typeof STALE>;
}

export class LastInstanceCache {
  private readonly hosts = new Map<number, HostCache>();
  private readonly byId = new Map<number, CachedLast>();
  private size = 0;

  /**
   * `hasAny(hostId)` is asked once per host, before this writer writes anything for it.
   * `onForget(hostId, pid)` is called when that pid's answer becomes unknown (its newest
   * instance moved back in time), `onForget()` when every answer does: the writer must then
   * make sure SQLite, or its own merge, has what the cache no longer answers for.
   */
  constructor(
    private readonly hasAny: (hostId: number) => boolean,
    private readonly onForget: (hostId?: number, pid?: number) => void = () => {},
  ) {}

  /** The cached answer: an instance, null (none), or undefined (unknown: ask SQLite). */
  get(hostId: number, pid: number): CachedLast | null | undefined {
    const h = this.host(hostId);
    const v = h.byPid.get(pid);
    if (v === STALE) return undefined;
    if (v === undefined) return h.fresh ? null : undefined;
    return v;
  }

  /** What SQLite answered for an unknown pid. */
  learn(hostId: number, pid: number, last: CachedLast | null): void {
    this.put(this.host(hostId), pid, last);
  }

  /** Before inserting: call `host` first so a fresh host is recognised before its first row. */
  touchHost(hostId: number): void {
    this.host(hostId);
  }

  /** Returns true when the pid's answer is known here after the insert (false: ask SQLite). */
  inserted(hostId: number, pid: number, id: number, startNs: bigint, startKnown: boolean): boolean {
    const h = this.host(hostId);
    const cur = h.byPid.get(pid);
    if (cur === STALE || (cur === undefined && !h.fresh)) return false; // unknown stays unknown
    // Ids grow, so a later row wins unless it starts earlier (a "seen since" /proc start).
    if (cur === undefined || cur === null || startNs >= cur.startNs) this.put(h, pid, { hostId, pid, id, startNs, startKnown });
    return h.byPid.has(pid); // false when put() passed the bound and forgot everything
  }

  forkStartSet(id: number, startNs: bigint): void {
    const e = this.byId.get(id);
    if (e === undefined) {
      // Not the cached newest of its pid: moving its start could make it the newest, and
      // its pid is not known here. Rare (the builder merges the instance it just looked up).
      this.clear();
      return;
    }
    if (startNs >= e.startNs) {
      e.startNs = startNs;
      e.startKnown = true;
      return;
    }
    // Moved back in time: an older instance of the pid may now be the newest.
    const h = this.host(e.hostId);
    this.byId.delete(id);
    h.byPid.set(e.pid, STALE);
    this.onForget(e.hostId, e.pid);
  }

  ended(id: number, endNs: bigint, certainty: LastInstance['endCertainty']): void {
    const e = this.byId.get(id);
    if (e === undefined) return; // not the newest of its pid (or unknown): no cached answer changes
    e.endNs = endNs;
    if (certainty === undefined) delete e.endCertainty;
    else e.endCertainty = certainty;
  }

  private put(h: HostCache, pid: number, last: CachedLast | null): void {
    const old = h.byPid.get(pid);
    if (old !== undefined && old !== null && old !== STALE) this.byId.delete(old.id);
    else if (old === undefined) this.size++;
    h.byPid.set(pid, last);
    if (last !== null) this.byId.set(last.id, last);
    if (this.size > MAX_CACHED_PIDS) this.clear();
  }

  /** Forgets everything: every pid becomes unknown (answers come from SQLite again). */
  clear(): void {
    for (const h of this.hosts.values()) {
      h.fresh = false;
      h.byPid.clear();
    }
    this.byId.clear();
    this.size = 0;
    this.onForget();
  }

  private host(hostId: number): HostCache {
    let h = this.hosts.get(hostId);
    if (h === undefined) {
      h = { fresh: !this.hasAny(hostId), byPid: new Map() };
      this.hosts.set(hostId, h);
    }
    return h;
  }
}
