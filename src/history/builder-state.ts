import { LAST_RECORD_STATE_KEY } from './history-types.js';
import type { HistoryWriter, OpenInstance } from './history-writer.js';
import { linkParent, pendingFromJson, pendingToJson, type AwaitingFork, type HostTable, type LiveProc } from './live-process-table.js';

/**
 * What the history builder keeps across runs besides the rows: the live table comes back
 * from instances without an end; clone3 children still pending, the namespace state
 * (namespace-forks.ts) and each host's last record time are saved as resume_state entries.
 */
export const PENDING_KEY = 'history-builder.pending-threads';
export const NAMESPACE_KEY = 'history-builder.namespaces';

export class BuilderState {
  /** True once namespace state was saved: it must then be cleared when it empties. */
  private namespaceSaved = false;

  constructor(private readonly writer: HistoryWriter) {}

  /** Writes the pending clone3 children, the namespace state when there is any, and each host's last record time. */
  save(hostTables: Iterable<HostTable>, anyNamespaced: boolean): void {
    const hosts = [...hostTables];
    const pending: Record<string, unknown[]> = {};
    const namespaces: Record<string, unknown> = {};
    for (const h of hosts) {
      if (h.pending.size > 0) pending[h.hostId] = pendingToJson(h.pending.values());
      const ns = anyNamespaced || this.namespaceSaved ? namespaceStateToJson(h) : undefined;
      if (ns !== undefined) namespaces[h.hostId] = ns;
    }
    this.writer.setState(PENDING_KEY, Object.keys(pending).length === 0 ? undefined : JSON.stringify(pending));
    // Written only once there has been something to write (most logs have no namespaces).
    const some = Object.keys(namespaces).length > 0;
    if (some || this.namespaceSaved) this.writer.setState(NAMESPACE_KEY, some ? JSON.stringify(namespaces) : undefined);
    this.namespaceSaved = some;
    const last: Record<string, string> = {};
    for (const h of hosts) if (h.lastRecordNs !== undefined) last[h.hostId] = h.lastRecordNs.toString();
    if (Object.keys(last).length > 0) this.writer.setState(LAST_RECORD_STATE_KEY, JSON.stringify(last));
  }

  /** Rebuilds the live tables (hostById creates a host's table on first use). */
  restore(hostById: (id: number) => HostTable): void {
    this.restoreOpen(this.writer.openInstances(), hostById);
    const pending = this.writer.getState(PENDING_KEY);
    if (pending !== undefined) {
      for (const [hostId, list] of Object.entries(JSON.parse(pending) as Record<string, unknown>)) {
        const h = hostById(Number(hostId));
        for (const p of pendingFromJson(list)) h.pending.set(p.childPid, p);
      }
    }
    const last = this.writer.getState(LAST_RECORD_STATE_KEY);
    if (last !== undefined) {
      for (const [hostId, ns] of Object.entries(JSON.parse(last) as Record<string, string>)) hostById(Number(hostId)).lastRecordNs = BigInt(ns);
    }
    const namespaces = this.writer.getState(NAMESPACE_KEY);
    if (namespaces !== undefined) {
      this.namespaceSaved = true;
      for (const [hostId, json] of Object.entries(JSON.parse(namespaces) as Record<string, unknown>)) namespaceStateFromJson(hostById(Number(hostId)), json);
    }
  }

  /**
   * A host taken by the writer after the start (PostgreSQL: its writer lock is taken when
   * its first event comes): its open instances, and the namespace state that marks them.
   */
  restoreHost(hostId: number, hostById: (id: number) => HostTable): void {
    this.restoreOpen(this.writer.openInstances(hostId), hostById);
    const namespaces = this.writer.getState(NAMESPACE_KEY);
    const json = namespaces === undefined ? undefined : (JSON.parse(namespaces) as Record<string, unknown>)[hostId];
    if (json !== undefined) namespaceStateFromJson(hostById(hostId), json);
  }

  private restoreOpen(open: Iterable<OpenInstance>, hostById: (id: number) => HostTable): void {
    for (const o of open) {
      const h = hostById(o.hostId);
      const p: LiveProc = { id: o.id, pid: o.pid, startNs: o.startNs, startKnown: o.startKnown };
      if (o.ppid !== undefined) p.ppid = o.ppid;
      if (o.orphanRowId !== undefined) p.orphanRowId = o.orphanRowId;
      if (o.image !== undefined) p.image = o.image;
      h.live.set(o.pid, p);
      linkParent(h, p, o.parentId);
    }
  }
}

/** JSON of the namespace state of one host (for resume_state); undefined when there is none. */
function namespaceStateToJson(h: HostTable): unknown {
  const nsLocal: number[] = [];
  for (const p of h.live.values()) if (p.nsLocal === true) nsLocal.push(p.id);
  const awaiting = [...h.awaiting].map(([id, q]) => [id, q.map((f) => ({ ...f, forkNs: f.forkNs.toString() }))]);
  return nsLocal.length === 0 && awaiting.length === 0 ? undefined : { nsLocal, awaiting };
}

function namespaceStateFromJson(h: HostTable, json: unknown): void {
  const state = json as { nsLocal?: number[]; awaiting?: [number, (AwaitingFork & { forkNs: string })[]][] };
  const ids = new Set(state.nsLocal ?? []);
  for (const p of h.live.values()) if (ids.has(p.id)) p.nsLocal = true;
  for (const [id, q] of state.awaiting ?? []) h.awaiting.set(id, q.map((f) => ({ ...f, forkNs: BigInt(f.forkNs) })));
}
