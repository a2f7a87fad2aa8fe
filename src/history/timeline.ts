import type { HistoryReader, HistoryStore } from './history-store.js';
import type { ImageRow, InstanceRow, ParentRow } from './history-types.js';
import { instancesAtEvent } from './alive-at-event.js';
import { withinHistory } from './history-span.js';
import { atText, choosePidHost, type HostChoice } from './resolve-host.js';

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
  /** Audit serial when the time was an event id. */
  atSerial?: number;
  /** Every instance that held the pid, oldest first: pid reuse at a glance. */
  entries: TimelineEntry[];
  /** How the host was chosen, on a history of several hosts (the text answer names it). */
  hostChoice?: HostChoice;
}

export function timeline(store: HistoryStore, query: TimelineQuery): Promise<TimelineResult> {
  return store.read((reader) => timelineInSnapshot(reader, query));
}

export interface TimelineQuery {
  host?: string;
  pid: number;
  /** Marks the instance alive then (`aliveAtQuery`). */
  atNs?: bigint;
  /** The time is an audit event id: the holder of pid at that event, as ancestry picks it (see AncestryQuery.atSerial). */
  atSerial?: number;
}

/** `timeline` inside a caller's `read` (several queries on one snapshot). */
export async function timelineInSnapshot(store: HistoryReader, query: TimelineQuery): Promise<TimelineResult> {
  const { atNs, atSerial } = query;
  const holders = (h: string, at: bigint) => instancesAtEvent(store, h, query.pid, at, atSerial);
  // With --at, a pid recorded on several hosts may be alive then on only one of them.
  const time = atNs === undefined ? undefined : { text: atText(atNs), aliveOn: async (h: string) => (await withinHistory(store, h, atNs)) && (await holders(h, atNs)).length > 0 };
  const choice = await choosePidHost(store, query.host, query.pid, time);
  const host = choice.host;
  const aliveIds = new Set(atNs === undefined ? [] : (await holders(host, atNs)).map((i) => i.id));
  const entries: TimelineEntry[] = [];
  for (const instance of await store.instancesOfPid(host, query.pid)) {
    entries.push({ instance, aliveAtQuery: aliveIds.has(instance.id), parents: await store.parents(instance.id), images: await store.images(instance.id) });
  }
  const result: TimelineResult = { host, pid: query.pid, entries, ...(choice.several ? { hostChoice: choice } : {}) };
  if (atNs !== undefined) result.atNs = atNs;
  if (atNs !== undefined && atSerial !== undefined) result.atSerial = atSerial;
  return result;
}
