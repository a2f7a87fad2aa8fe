import type { ForkEvent } from '../events/proc-event.js';
import type { BuilderContext } from './builder-context.js';
import { closeInstance } from './close-instance.js';
import type { ImageFields, WriteEvidence } from './history-writer.js';
import { imageWithCreds, isEmptyImage } from './image-fields.js';
import { linkParent, type HostTable, type LiveProc } from './live-process-table.js';
import { onFirstParent } from './namespace-forks.js';
import { openForked, openSeen, parentFor, setParent } from './open-instance.js';
import { classifyParentChange } from './parent-change.js';

/**
 * Evidence that `pid` is alive at `t` (its own record). Opens it when unknown (confirming
 * a pending clone3 child first), and applies a parent change the record shows.
 */
export function touch(
  ctx: BuilderContext,
  h: HostTable,
  pid: number,
  t: bigint,
  ppid: number | undefined,
  ev: WriteEvidence | undefined,
  startTimeNs?: bigint,
  seenIn?: ForkEvent,
  /** The record is the process's exec (evidence for namespace detection, see namespace-forks.ts). */
  byExec = false,
): LiveProc {
  let p = h.live.get(pid);
  if (p === undefined) {
    const pending = h.pending.get(pid);
    if (pending !== undefined) {
      // Its own record under its own pid: the clone3 child was a process, born at the fork.
      h.pending.delete(pid);
      ctx.stats.threadsConfirmed++;
      p = openForked(ctx, h, pid, pending.forkNs, pending.parentPid, pending.parentId, pending.image, pending.evidence);
    } else {
      p = openSeen(ctx, h, pid, t, ppid, ev, startTimeNs);
      firstParent(ctx, h, p, t, byExec);
      if (seenIn !== undefined) setSeenImage(ctx, p, t, seenIn, ev);
      return p;
    }
  } else if (p.unconfirmed === true) {
    p.unconfirmed = false; // its own record: the pid its creator's fork returned is its own
  }
  if (ppid !== undefined && p.orphanRowId !== undefined) {
    resolveOrphan(ctx, h, p, ppid, t, ev);
  } else if (ppid !== undefined && ppid !== p.ppid) {
    if (p.ppid === undefined) {
      setParent(ctx, h, p, ppid, t, 'seen', ev);
      firstParent(ctx, h, p, t, byExec);
    } else p = changeParent(ctx, h, p, ppid, t, ev, byExec);
  }
  if (p.image === undefined && seenIn !== undefined) setSeenImage(ctx, p, t, seenIn, ev);
  return p;
}

/** A "seen since" process just got its first parent: it may be a namespaced fork's child. */
function firstParent(ctx: BuilderContext, h: HostTable, p: LiveProc, t: bigint, byExec: boolean): void {
  if (p.startKnown || p.ppid === undefined) return;
  const parent = h.live.get(p.ppid);
  if (parent !== undefined && parent.id === p.parentId) onFirstParent(ctx, h, p, parent, t, byExec);
}

/** The creator's image as its fork record shows it (built only when it is needed). */
function setSeenImage(ctx: BuilderContext, p: LiveProc, t: bigint, fork: ForkEvent, ev: WriteEvidence | undefined): void {
  const image = imageWithCreds(fork.parentImage, fork.parentCreds);
  if (!isEmptyImage(image)) setImage(ctx, p, t, 'seen', image, ev);
}

export function setImage(ctx: BuilderContext, p: LiveProc, t: bigint, kind: 'exec' | 'seen' | 'creds' | 'comm', image: ImageFields, ev: WriteEvidence | undefined): void {
  ctx.writer.insertImage(p.id, t, kind, image, ev);
  p.image = image;
}

function changeParent(ctx: BuilderContext, h: HostTable, p: LiveProc, ppid: number, t: bigint, ev: WriteEvidence | undefined, byExec: boolean): LiveProc {
  const verdict = classifyParentChange(h.live, p, ppid);
  switch (verdict.kind) {
    case 'reparent':
      ctx.stats.reparents++;
      setParent(ctx, h, p, ppid, t, verdict.verified ? 'reparent' : 'reparent-unverified', ev);
      // Its siblings were orphaned too (they get orphan rows; this one has its reaper).
      if (verdict.oldParentEnded !== undefined) {
        closeInstance(ctx, h, verdict.oldParentEnded, t, 'inferred', 'children-reparented', undefined, undefined, ev);
      }
      return p;
    case 'pid-reused':
      ctx.stats.unseenPidReuses++;
      closeInstance(ctx, h, p, t, 'inferred', 'pid-reused-unseen-fork', undefined, undefined, ev);
      p = openSeen(ctx, h, p.pid, t, ppid, ev);
      firstParent(ctx, h, p, t, byExec);
      return p;
  }
}

/**
 * A record names the parent of a process we orphaned when its parent ended: the kernel
 * reparented it at that moment, so the reaper it names (init, or a child subreaper) is
 * written back to the orphan row's time. A reaper that cannot be one (not init and not an
 * ancestor... unknowable here) is taken as named: the orphan row is the earliest time.
 */
function resolveOrphan(ctx: BuilderContext, h: HostTable, p: LiveProc, ppid: number, t: bigint, ev: WriteEvidence | undefined): void {
  const parent = parentFor(ctx, h, p, ppid, t, ev);
  ctx.writer.resolveOrphanRow(p.orphanRowId!, ppid, parent?.id);
  delete p.orphanRowId;
  p.ppid = ppid;
  linkParent(h, p, parent?.id);
}
