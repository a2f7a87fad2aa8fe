import type { HistoryReader } from '../history/history-store.js';
import type { InstanceRow } from '../history/history-types.js';
import type { SnapshotLists } from './snapshot-lists.js';

/**
 * `reader` answering the lookups enrich repeats for every event from memory: the hosts
 * and each host's first and last record (fixed within one snapshot: `read` is one
 * transaction) and, with `lists`, the rows of each pid and instance (see SnapshotLists);
 * without, only the last `instancesAt` (asked by enrich, then again by ancestryAt for the
 * same event). Everything else goes to `reader`. Valid only inside the same `read`.
 */
export function memoizedSnapshot(reader: HistoryReader, rows?: SnapshotLists): HistoryReader {
  let hosts: Promise<string[]> | undefined;
  const starts = new Map<string, Promise<bigint | undefined>>();
  const ends = new Map<string, Promise<bigint | undefined>>();
  let lastAlive: { host: string; pid: number; atNs: bigint; rows: Promise<InstanceRow[]> } | undefined;
  const overrides: Partial<HistoryReader> = {
    hosts: () => (hosts ??= reader.hosts()),
    historyStartNs: (host) => cached(starts, host, () => reader.historyStartNs(host)),
    // The true end, whatever `atNs`: callers only compare atNs with it, and a last start at
    // or after atNs (what historyEndNs(host, atNs) may return instead) gives the same answer.
    historyEndNs: (host) => cached(ends, host, () => reader.historyEndNs(host)),
    instancesAt: (host, pid, atNs) => {
      if (lastAlive === undefined || lastAlive.host !== host || lastAlive.pid !== pid || lastAlive.atNs !== atNs) {
        lastAlive = { host, pid, atNs, rows: reader.instancesAt(host, pid, atNs) };
      }
      return lastAlive.rows;
    },
  };
  if (rows !== undefined) {
    const storeAlive = overrides.instancesAt!;
    overrides.instancesAt = async (host, pid, atNs) => (await rows.instancesAt(host, pid, atNs)) ?? storeAlive(host, pid, atNs);
    overrides.instancesOfPid = (host, pid) => rows.instancesOfPid(host, pid);
    overrides.instance = (id) => rows.instance(id);
    overrides.images = (id) => rows.images(id);
    overrides.parents = (id) => rows.parents(id);
    overrides.ownImageAt = (id, atNs, atSerial) => rows.ownImageAt(id, atNs, atSerial);
    overrides.parentAt = (id, atNs) => rows.parentAt(id, atNs);
    overrides.chainAt = (id, atNs, lineage, atSerial) => rows.chainAt(id, atNs, lineage, atSerial);
    overrides.lossesBetween = (host, fromNs, toNs) => rows.lossesBetween(host, fromNs, toNs);
  }
  return new Proxy(reader, {
    get(target, prop, receiver) {
      const own = (overrides as Record<string | symbol, unknown>)[prop];
      if (own !== undefined) return own;
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

function cached<T>(map: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
  let value = map.get(key);
  if (value === undefined) map.set(key, (value = load()));
  return value;
}
