import { auditEventSerial } from '../time/parse-time.js';
import type { ChainRow, HistoryReader } from './history-store.js';
import type { InstanceRow } from './history-types.js';
import { INIT_PID, withinHistory } from './history-span.js';

/**
 * Who held a pid at an audit event id (`audit(SECONDS.MS:SERIAL)`), not only at its
 * millisecond. Audit stamps events in milliseconds; the serial orders the events of one
 * millisecond. Shared by every query that takes `--at`, so ancestry, timeline, tree,
 * descendants, find and report pick the same process for the same event id.
 */

/**
 * The instances of pid alive at the query time. At an audit event id, a process whose end
 * was recorded in that millisecond by this event or a later one was still there when the
 * event happened (its own exit_group, a kill of it): it is the event's actor, not "no
 * process". It comes first unless a holder of the pid started before that millisecond.
 * A holder that started in that millisecond is then left out when the end was recorded
 * (not inferred): the kernel hands a pid out again only once its holder has exited, so
 * the new holder did not exist yet at this event (pid-reuse capture: the old 1297 exits
 * at serial 28632, its successor's clone is 28633; at 28631 only the old one is 1297).
 * Not so for an inferred end: the old holder may have died unseen well before.
 */
export async function instancesAtEvent(store: HistoryReader, host: string, pid: number, atNs: bigint, atSerial: number | undefined): Promise<InstanceRow[]> {
  const alive = await store.instancesAt(host, pid, atNs);
  if (atSerial === undefined || alive.some((i) => i.startNs < atNs)) return alive;
  const ending = (await store.instancesOfPid(host, pid)).filter((i) => endsAfterEvent(i, atNs, atSerial));
  if (ending.length === 0) return alive;
  const exited = ending.some((i) => i.endCertainty !== 'inferred');
  const later = alive.filter((i) => !ending.some((e) => e.id === i.id) && !(exited && i.startNs === atNs));
  return [...ending, ...later];
}

/**
 * Ended in atNs's millisecond by evidence recorded at or after event `atSerial`. Start
 * evidence is not used alike: a child's first records come before its parent's clone
 * record, so a start serial says nothing about which came first.
 */
export function endsAfterEvent(inst: InstanceRow, atNs: bigint, atSerial: number): boolean {
  if (inst.endNs !== atNs || inst.endEvidence?.id === undefined) return false;
  const serial = auditEventSerial(inst.endEvidence.id);
  return serial !== undefined && serial >= atSerial;
}

/** Alive at the query time: start <= at < end, or, at an event id, an end recorded by that event or a later one. */
export function aliveAtEvent(inst: InstanceRow, atNs: bigint, atSerial: number | undefined): boolean {
  if (inst.startNs <= atNs && (inst.endNs === undefined || inst.endNs > atNs)) return true;
  return atSerial !== undefined && endsAfterEvent(inst, atNs, atSerial);
}

/**
 * At a time without a serial (`--at 1795589388.820`), the answer is the holder of pid that
 * started in that millisecond; another holder may have exited in it too, just before (the
 * pid-reuse capture: old 1297 exits at serial 28632, the new one is forked at 28633). The
 * millisecond cannot tell them apart: say so, and how to ask for the earlier one.
 */
export async function handoverNote(store: HistoryReader, self: InstanceRow, atNs: bigint): Promise<string | undefined> {
  if (self.startNs !== atNs) return undefined;
  const ended = (await store.instancesOfPid(self.host, self.pid)).find((i) => i.id !== self.id && i.endNs === atNs && i.endEvidence?.id !== undefined && auditEventSerial(i.endEvidence.id) !== undefined);
  if (ended === undefined) return undefined;
  const forked = self.startEvidence?.id === undefined ? undefined : auditEventSerial(self.startEvidence.id);
  return `pid ${self.pid} changed hands within this millisecond: the earlier holder exited at audit serial ${auditEventSerial(ended.endEvidence!.id!)}, this one was forked${forked !== undefined ? ` at serial ${forked}` : ' in it'}; for the earlier one ask by event id: --at 'audit(${ended.endEvidence!.id})'`;
}

/**
 * `aliveLinksAt` at an audit event id: the instances whose end was recorded in that
 * millisecond by this event or a later one are added (they were there at the event), and a
 * holder of the same pid that started in that millisecond is left out (see instancesAtEvent).
 * An instance that both started and ended in that millisecond counts too when its end is
 * at or after the event (net-files-login: `seq 200`, pid 3816, forked, exec'd and exited at
 * .538; at its exit_group event it is there).
 */
export async function aliveLinksAtEvent(store: HistoryReader, host: string, atNs: bigint, atSerial: number | undefined): Promise<ChainRow[]> {
  const links = await store.aliveLinksAt(host, atNs, atSerial);
  if (atSerial === undefined) return links;
  const ending = (await store.overlapping(host, atNs, atNs)).filter((i) => endsAfterEvent(i, atNs, atSerial));
  if (ending.length === 0) return links;
  const handedOver = new Set(ending.filter((i) => i.endCertainty !== 'inferred').map((i) => i.pid));
  const out = links.filter((l) => !(l.instance.startNs === atNs && handedOver.has(l.instance.pid)));
  for (const inst of ending) {
    const own = (await store.chainAt(inst.id, atNs, 'parent', atSerial)).find((r) => r.instance.id === inst.id);
    out.push(own ?? { instance: inst });
  }
  return out;
}

/**
 * Of instances alive at an event id (`aliveAtEvent`), drops a holder of a pid that started in
 * that millisecond when another of them held the pid up to a recorded end at or after the
 * event (see instancesAtEvent): the pid was not free yet.
 */
export function withoutLaterHolders<T extends InstanceRow>(instances: T[], atNs: bigint, atSerial: number | undefined): T[] {
  if (atSerial === undefined) return instances;
  const handedOver = new Set(instances.filter((i) => endsAfterEvent(i, atNs, atSerial) && i.endCertainty !== 'inferred').map((i) => i.pid));
  return handedOver.size === 0 ? instances : instances.filter((i) => !(i.startNs === atNs && i.endNs !== atNs && handedOver.has(i.pid)));
}

/**
 * Whether `pid` was alive on host `h` at the time (or audit event) asked: within the host's
 * history and held by an instance then; init is there whenever its host's history is
 * (recorded or not). The test host choice makes for ancestry and tree (choosePidHost's aliveOn).
 */
export async function pidAliveOn(store: HistoryReader, h: string, pid: number, atNs: bigint, atSerial: number | undefined): Promise<boolean> {
  return (await withinHistory(store, h, atNs)) && (pid === INIT_PID || (await instancesAtEvent(store, h, pid, atNs, atSerial)).length > 0);
}
