import type { ForkEvent } from '../events/proc-event.js';
import type { BuilderContext } from './builder-context.js';
import { closeInstance } from './close-instance.js';
import type { WriteEvidence } from './history-writer.js';
import { linkParent, type HostTable, type LiveProc, type PendingThread } from './live-process-table.js';
import { onNamespacedFork } from './namespace-forks.js';
import { openForked } from './open-instance.js';
import { touch } from './touch-process.js';

/**
 * A child's own records may precede its parent's fork record (the child runs and execs
 * while the parent's clone has not returned yet, and auditd writes records at syscall
 * exit). A "seen since" instance opened at most this long before/after a fork of its pid
 * by its own parent is that fork's child, not another process.
 */
export const LATE_FORK_MERGE_NS = 2_000_000_000n;
/** clone3 children waiting for evidence that they are processes: at most this many per host... */
export const MAX_PENDING_THREADS = 4096;
/** ... and for at most this long in log time (posix_spawn children exec within milliseconds). */
export const PENDING_THREAD_TTL_NS = 30_000_000_000n;

/** A fork record: evidence of the creator, and a new instance under the pid it returned. */
export function applyFork(ctx: BuilderContext, h: HostTable, e: ForkEvent, ev: WriteEvidence | undefined): void {
  const t = e.timestampNs;
  // The creator's fork record is evidence of the creator itself. Its image describes the
  // creator only when audit reported the creator's own ppid (CLONE_PARENT forks name the
  // caller's parent as parent but carry the caller's image).
  const parent = touch(ctx, h, e.parentPid, t, e.parentPpid, ev, undefined, e.parentPpid !== undefined ? e : undefined);
  // Inside a pid namespace the returned pid is not a host pid: the child is met later.
  if (parent.nsLocal === true) return onNamespacedFork(ctx, h, parent, e.childPid, t, ev);
  const child = e.childPid;
  h.pending.delete(child); // a new clone returning this pid: an older unconfirmed one is gone

  const existing = h.live.get(child);
  if (existing !== undefined && existing.id !== parent.id) {
    if (mergeLateFork(ctx, h, existing.id, existing, parent, t, ev)) {
      if (e.newPidNamespace === true) existing.nsLocal = true;
      return;
    }
    // clone() returned this pid, so it was free: whoever held it has ended by now
    // (a killed process leaves no exit record).
    closeInstance(ctx, h, existing, t, 'inferred', 'pid-reused', undefined, undefined, ev);
  } else if (existing === undefined && mergeLateFork(ctx, h, undefined, undefined, parent, t, ev, child)) {
    return;
  }
  if (e.maybeThread === true) {
    addPending(ctx, h, { childPid: child, parentPid: parent.pid, parentId: parent.id, forkNs: t, ...(parent.image ? { image: parent.image } : {}), ...(ev ? { evidence: ev } : {}) });
    return;
  }
  const p = openForked(ctx, h, child, t, parent.pid, parent.id, parent.image, ev);
  // Until a record of its own shows this pid, it may be a namespace-local one (namespace-forks.ts).
  p.unconfirmed = true;
  // The init of a new pid namespace (clone with CLONE_NEWPID): the pid returned here is a
  // host pid (the creator is outside), but every pid its own forks return is local, from
  // its very first fork (no need to wait for the effect namespace-forks.ts detects).
  if (e.newPidNamespace === true) p.nsLocal = true;
  if (ev !== undefined) p.forkEvidence = ev;
}

/**
 * The child's own records came first and opened a "seen since" instance (live, or
 * already ended when the child exited before the clone record was written): when it was
 * opened within LATE_FORK_MERGE_NS of the fork and names the same parent (or none),
 * it is this fork's child. Returns true when merged.
 */
function mergeLateFork(
  ctx: BuilderContext,
  h: HostTable,
  liveId: number | undefined,
  live: LiveProc | undefined,
  parent: LiveProc,
  t: bigint,
  ev: WriteEvidence | undefined,
  pid?: number,
): boolean {
  const last = ctx.writer.lastInstance(h.hostId, live?.pid ?? pid!);
  if (last === undefined || last.startKnown) return false;
  if (liveId !== undefined && last.id !== liveId) return false;
  if (liveId === undefined && last.endNs === undefined) return false;
  const distance = last.startNs > t ? last.startNs - t : t - last.startNs;
  if (distance > LATE_FORK_MERGE_NS) return false;
  const parents = ctx.writer.parentSummary(last.id);
  if (parents.hasHistory) return false;
  if (parents.ppid !== undefined && parents.ppid !== parent.pid) return false;
  ctx.writer.setForkStart(last.id, t, parent.pid, parent.id, ev);
  ctx.writer.setFirstParentFromFork(last.id, { sinceNs: t, ppid: parent.pid, parentId: parent.id, kind: 'fork', ...(ev ? { evidence: ev } : {}) });
  if (live !== undefined) {
    live.startNs = t;
    live.startKnown = true;
    live.ppid = parent.pid;
    linkParent(h, live, parent.id);
    if (live.image === undefined && parent.image !== undefined) live.image = parent.image;
  }
  ctx.stats.lateForksMerged++;
  return true;
}

function addPending(ctx: BuilderContext, h: HostTable, p: PendingThread): void {
  // Oldest first (insertion order): drop what is too old or over the bound. Unconfirmed
  // clone3 children were threads (or processes that never left a record of their own).
  for (const [pid, old] of h.pending) {
    if (h.pending.size < MAX_PENDING_THREADS && p.forkNs - old.forkNs <= PENDING_THREAD_TTL_NS) break;
    h.pending.delete(pid);
    ctx.stats.pendingThreadsDropped++;
  }
  h.pending.set(p.childPid, p);
}
