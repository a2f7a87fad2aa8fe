import type { HistoryStore } from './history-store.js';
import type { ImageRow, InstanceRow, ParentRow } from './history-types.js';
import { resolveHost } from './resolve-host.js';

export interface TimelineEntry {
  instance: InstanceRow;
  /** True for the instance alive at the query's `atNs`. */
  aliveAtQuery: boolean;
  parents: ParentRow[];
  images: ImageRow[];
}

export interface TimelineResult {
  host: string;
  pid: number;
  atNs?: bigint;
  /** Every instance that held the pid, oldest first: pid reuse at a glance. */
  entries: TimelineEntry[];
}

export function timeline(store: HistoryStore, query: { host?: string; pid: number; atNs?: bigint }): TimelineResult {
  return store.read(() => timelineInSnapshot(store, query));
}

function timelineInSnapshot(store: HistoryStore, query: { host?: string; pid: number; atNs?: bigint }): TimelineResult {
  const host = resolveHost(store, query.host, (h) => store.instancesOfPid(h, query.pid).length > 0);
  const aliveIds = new Set(query.atNs === undefined ? [] : store.instancesAt(host, query.pid, query.atNs).map((i) => i.id));
  const entries = store.instancesOfPid(host, query.pid).map((instance) => ({
    instance,
    aliveAtQuery: aliveIds.has(instance.id),
    parents: store.parents(instance.id),
    images: store.images(instance.id),
  }));
  const result: TimelineResult = { host, pid: query.pid, entries };
  if (query.atNs !== undefined) result.atNs = query.atNs;
  return result;
}
