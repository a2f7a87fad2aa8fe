import { formatTimeNs } from '../time/format-time.js';
import type { HistoryReader } from './history-store.js';
import type { InstanceRow } from './history-types.js';

/** The host's init process: its pid never changes hands while the host is up. */
export const INIT_PID = 1;

/** A query time outside what the history of its host recorded. */
export interface OutsideHistory {
  side: 'before' | 'after';
  /** For the investigator: where the history ends (begins) and what that means for the answer. */
  note: string;
}

const ofHost = (host: string): string => (host === '' ? 'the history' : `the history of host ${host}`);

/**
 * Whether `atNs` is before the first or after the last record of `host`'s history. After
 * it, "alive" only means that no exit was recorded; before it, nothing is known.
 * `recordAfter`: the caller already holds a record later than `atNs` (the common case: a
 * process of the answer ended after it), so the time cannot be after the history and the
 * store is not asked.
 */
export async function outsideHistory(store: HistoryReader, host: string, atNs: bigint, recordAfter = false): Promise<OutsideHistory | undefined> {
  if (!recordAfter) {
    const endNs = await store.historyEndNs(host, atNs);
    if (endNs !== undefined && atNs > endNs) {
      return { side: 'after', note: `${ofHost(host)} ends at ${formatTimeNs(endNs)}: after it, 'alive' only means no exit was recorded` };
    }
  }
  const startNs = await store.historyStartNs(host);
  if (startNs !== undefined && atNs < startNs) {
    return { side: 'before', note: `${ofHost(host)} begins at ${formatTimeNs(startNs)}: nothing is known of the processes before it` };
  }
  return undefined;
}

/** `the history of host H spans A to B` (for "nothing there" answers), or that it is empty. */
export async function historySpanText(store: HistoryReader, host: string): Promise<string> {
  const startNs = await store.historyStartNs(host);
  const endNs = await store.historyEndNs(host);
  if (startNs === undefined || endNs === undefined) return `${ofHost(host)} has no process records`;
  return `${ofHost(host)} spans ${formatTimeNs(startNs)} to ${formatTimeNs(endNs)}`;
}

/** Whether `atNs` lies within the recorded history of `host` (ends included). */
export async function withinHistory(store: HistoryReader, host: string, atNs: bigint): Promise<boolean> {
  const startNs = await store.historyStartNs(host);
  if (startNs === undefined || atNs < startNs) return false;
  const endNs = await store.historyEndNs(host, atNs);
  return endNs !== undefined && atNs <= endNs;
}

/**
 * pid 1 at a time no record shows it alive: init runs from boot to shutdown, so it was there.
 * When its first record after `atNs` is a "seen since" one, that is the same process seen
 * late: use it (its command is known). Undefined when the history has no such record.
 */
export async function initSeenLater(store: HistoryReader, host: string, atNs: bigint): Promise<InstanceRow | undefined> {
  const next = (await store.instancesOfPid(host, INIT_PID)).find((i) => i.startNs > atNs);
  return next !== undefined && !next.startKnown ? next : undefined;
}

/**
 * init whose start no record shows. It runs from boot, so its first record is no start: a
 * `~T` would read as "it began then" (or, when T is after the question, "it began after the
 * moment you asked about"). Shown as FROM_BOOT instead, whether first recorded before the
 * time asked or after it, as the tree shows it (render-tree.ts).
 */
export function initStartFromBoot(pid: number, startKnown: boolean): boolean {
  return pid === INIT_PID && !startKnown;
}

/** The start of init that no record shows starting before the time asked. */
export const FROM_BOOT = 'from boot';

/** The note on an init link without a recorded start: where it is first recorded. */
export function initFromBootNote(inst: InstanceRow): string {
  return `init: runs from boot; first recorded at ${formatTimeNs(inst.startNs)}`;
}
