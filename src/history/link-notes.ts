import { formatTimeNs } from '../time/format-time.js';
import type { HistoryReader } from './history-store.js';
import type { ImageRow, InstanceRow, LossRow, ParentRow } from './history-types.js';
import { auditSerialOf, commandOf, imageAt } from './image-at.js';

/**
 * Why a link between a process and its parent at a time may be wrong, worded for the
 * investigator. Shared by ancestry (per link) and tree (per node) so both flag the same
 * links the same way.
 */

/** Doubts carried by the parent row in force (`parentAt`) itself. */
export function parentRowNotes(inst: InstanceRow, row: ParentRow, atNs: bigint): string[] {
  const notes: string[] = [];
  if (row.sinceNs > atNs) notes.push(`parent of pid ${inst.pid} known only from ${formatTimeNs(row.sinceNs)} on`);
  if (row.kind === 'reparent-unverified') notes.push(`pid ${inst.pid} changed parent to ${row.ppid} at ${formatTimeNs(row.sinceNs)} without proof of a reparent (possible pid reuse)`);
  if (row.kind === 'orphaned') {
    notes.push(`parent of pid ${inst.pid} exited at ${formatTimeNs(row.sinceNs)}; no later record names the new parent: assumed init (a child subreaper would not show in the log)`);
  }
  return notes;
}

/**
 * Gone by `endNs` without an exit record (killed?): it may already have been dead at
 * `atNs`, and its children reparented, when `atNs` is after its last sign of life.
 * `child`: the process whose parent it is in the answer, to name the other possible parent.
 */
export async function mayHaveEndedNote(store: HistoryReader, inst: InstanceRow, atNs: bigint, child?: { pid: number; instanceId: number }): Promise<string | undefined> {
  if (inst.endCertainty !== 'inferred' || inst.endNs === undefined || inst.endNs <= atNs) return undefined;
  const lastSeen = await store.lastEvidenceNs(inst.id);
  if (lastSeen >= atNs) return undefined;
  const then = child === undefined ? '' : await adoptedNote(store, child.pid, child.instanceId, inst.pid, atNs);
  return `pid ${inst.pid} was last seen alive at ${formatTimeNs(lastSeen)} and was gone by ${formatTimeNs(inst.endNs)} without an exit record: it may have ended before this time${then}`;
}

/**
 * A process killed without an exit record leaves only "gone by" evidence, often a later
 * record of its child under a new parent. The log cannot tell when between its last sign of
 * life and that record it died (a SIGKILL writes nothing), so name the other possible
 * answer: the parent the child's next record shows.
 */
export async function adoptedNote(store: HistoryReader, childPid: number, childId: number, parentPid: number, atNs: bigint): Promise<string> {
  const next = (await store.parents(childId)).find((r) => r.sinceNs > atNs && r.ppid !== parentPid);
  if (next === undefined) return '';
  return `; if it had, pid ${childPid}'s parent was then pid ${next.ppid} (as its record at ${formatTimeNs(next.sinceNs)} shows)`;
}

export function overlapNote(pid: number, instances: InstanceRow[]): string {
  const starts = instances.map((i) => formatTimeNs(i.startNs)).join(', ');
  return `${instances.length} records of pid ${pid} overlap at this time (started ${starts}): an exit was never seen; using the most likely`;
}

/**
 * Audit stamps events in milliseconds: an ancestor that exec'd at exactly the query time
 * may have done so just after the event the user is asking about (laurel's confusion trace:
 * the csh that forked `id` exec'd awk in the same millisecond). Name both images.
 */
export async function sameInstantExecNote(store: HistoryReader, inst: InstanceRow, image: ImageRow | undefined, atNs: bigint, atSerial?: number): Promise<string | undefined> {
  if (atSerial !== undefined) return execAfterEventNote(store, inst, image, atNs, atSerial);
  if (image === undefined || image.sinceNs !== atNs || image.kind !== 'exec') return undefined;
  const before = commandOf(await imageAt(store, inst, atNs - 1n));
  const now = commandOf(image);
  if (before === now) return undefined;
  return `pid ${inst.pid} exec'd '${now}' at exactly this time; an event stamped with this time may have seen it still running '${before || '?'}'`;
}

/**
 * The time is an audit event id: the serials order the events of its millisecond, so the
 * image in force at the event is known. Still say when the process exec'd in the same
 * millisecond after the event (a reader of timestamps alone would take the new image).
 */
async function execAfterEventNote(store: HistoryReader, inst: InstanceRow, image: ImageRow | undefined, atNs: bigint, atSerial: number): Promise<string | undefined> {
  const latest = await store.ownImageAt(inst.id, atNs);
  if (latest === undefined || latest.sinceNs !== atNs || latest.kind !== 'exec') return undefined;
  const serial = auditSerialOf(latest.evidence?.id);
  if (serial === undefined || serial <= atSerial) return undefined;
  const now = commandOf(image);
  return `pid ${inst.pid} exec'd '${commandOf(latest)}' in the same millisecond, after this event (audit serial ${serial}): at serial ${atSerial} it still ran '${now || '?'}'`;
}

/** Loss records (events may be missing) as one note, or undefined when there are none. */
export function lossesNote(losses: LossRow[]): string | undefined {
  if (losses.length === 0) return undefined;
  const count = losses.reduce((n, l) => n + (l.count ?? 0), 0);
  return `events may be missing: ${losses.length} loss record(s)${count > 0 ? ` (${count} event(s))` : ''} between ${formatTimeNs(losses[0]!.atNs)} and ${formatTimeNs(losses[losses.length - 1]!.atNs)}, e.g. ${losses[0]!.reason}`;
}
