import type { BuilderContext } from './builder-context.js';
import type { ImageFields, WriteEvidence } from './history-writer.js';
import { linkParent, type HostTable, type LiveProc } from './live-process-table.js';

/** Opens the instance a fork record created: start known (the fork's time), parent = creator. */
export function openForked(
  ctx: BuilderContext,
  h: HostTable,
  pid: number,
  t: bigint,
  parentPid: number,
  parentId: number | undefined,
  image: ImageFields | undefined,
  ev: WriteEvidence | undefined,
): LiveProc {
  const id = ctx.writer.insertInstance({
    hostId: h.hostId,
    pid,
    startNs: t,
    startKnown: true,
    creatorPid: parentPid,
    ...(parentId !== undefined ? { creatorId: parentId } : {}),
    ...(ev ? { evidence: ev } : {}),
  });
  ctx.writer.insertParent({ instanceId: id, sinceNs: t, ppid: parentPid, ...(parentId !== undefined ? { parentId } : {}), kind: 'fork', ...(ev ? { evidence: ev } : {}) });
  // The child runs its creator's image until it execs: no row, the query inherits it.
  const p: LiveProc = { id, pid, startNs: t, startKnown: true, ppid: parentPid };
  if (image !== undefined) p.image = image;
  h.live.set(pid, p);
  // A clone3 child confirmed late whose creator has ended since: not linked (it was
  // orphaned at a time we do not know; its own records will name its parent).
  const parent = h.live.get(parentPid);
  if (parentId !== undefined && parent?.id === parentId) linkParent(h, p, parentId);
  ctx.stats.instancesOpened++;
  return p;
}

/** Opens a process first met in its own record (or named as a parent): "seen since" that record. */
export function openSeen(
  ctx: BuilderContext,
  h: HostTable,
  pid: number,
  t: bigint,
  ppid: number | undefined,
  ev: WriteEvidence | undefined,
  startTimeNs?: bigint,
): LiveProc {
  // Never invent a start: "seen since" the evidence, unless the source knew it (/proc).
  const startNs = startTimeNs ?? t;
  const id = ctx.writer.insertInstance({ hostId: h.hostId, pid, startNs, startKnown: startTimeNs !== undefined, ...(ev ? { evidence: ev } : {}) });
  const p: LiveProc = { id, pid, startNs, startKnown: startTimeNs !== undefined };
  h.live.set(pid, p);
  ctx.stats.instancesOpened++;
  if (ppid !== undefined) setParent(ctx, h, p, ppid, t, 'seen', ev);
  return p;
}

/** The live instance of `ppid`, opening a "seen since" one when the log never showed it. */
export function parentFor(ctx: BuilderContext, h: HostTable, p: LiveProc, ppid: number, t: bigint, ev: WriteEvidence | undefined): LiveProc | undefined {
  return h.live.get(ppid) ?? (ppid > 0 && ppid !== p.pid ? openSeen(ctx, h, ppid, t, undefined, ev) : undefined);
}

export function setParent(
  ctx: BuilderContext,
  h: HostTable,
  p: LiveProc,
  ppid: number,
  t: bigint,
  kind: 'seen' | 'reparent' | 'reparent-unverified',
  ev: WriteEvidence | undefined,
): void {
  // A record naming a parent is evidence that the parent is alive then (the kernel
  // reparents children of a dead process at once): a parent never seen before is a
  // process that existed before the log, "seen since" this record.
  const parent = parentFor(ctx, h, p, ppid, t, ev);
  ctx.writer.insertParent({ instanceId: p.id, sinceNs: t, ppid, ...(parent ? { parentId: parent.id } : {}), kind, ...(ev ? { evidence: ev } : {}) });
  p.ppid = ppid;
  delete p.orphanRowId;
  linkParent(h, p, parent?.id);
}
