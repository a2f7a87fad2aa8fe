import type { LiveProc } from './live-process-table.js';

/** How far up the live table to look for the new parent among the old one's ancestors. */
const MAX_ANCESTOR_WALK = 128;

export type ParentChangeVerdict =
  | {
      kind: 'reparent';
      /** False when the live table cannot show the new parent is a possible reaper. */
      verified: boolean;
      /** The old parent, still held as alive, that this evidence shows has exited. */
      oldParentEnded?: LiveProc;
    }
  | { kind: 'pid-reused' };

/**
 * A record shows `p.pid` with parent `newPpid` while we hold it with parent `p.ppid`.
 * Either the same process was reparented, or the pid now belongs to a process whose fork
 * we never saw (the old holder was killed: killed processes leave no exit record).
 *
 * What the kernel allows (kernel/exit.c, forget_original_parent/find_new_reaper): the
 * parent pid (audit `ppid`, the real parent's thread group id) changes only when the whole
 * parent thread group has exited (a dying thread's children first move to a sibling
 * thread, same tgid), and the new parent is then the nearest ancestor marked as child
 * subreaper or the pid namespace's init. So:
 * - old parent no longer held as alive (its exit seen, or its pid since reused, or never
 *   known): a reparent;
 * - old parent held as alive, and the new parent is init (1) or one of its ancestors: a
 *   reparent, and the old parent has in fact exited (its exit record is missing: killed);
 * - old parent alive and its ancestry is fully known up to the root without the new parent:
 *   no reparent can produce this, so the pid was reused;
 * - otherwise (ancestry incomplete) we cannot tell: keep the process, mark the change as
 *   an unverified reparent, and do not end the old parent on such weak evidence.
 */
export function classifyParentChange(live: ReadonlyMap<number, LiveProc>, p: LiveProc, newPpid: number): ParentChangeVerdict {
  const oldPpid = p.ppid;
  if (oldPpid === undefined) return { kind: 'reparent', verified: true };
  const oldParent = live.get(oldPpid);
  if (oldParent === undefined || (p.parentId !== undefined && oldParent.id !== p.parentId)) {
    return { kind: 'reparent', verified: true };
  }
  if (newPpid === 1) return { kind: 'reparent', verified: true, oldParentEnded: oldParent };
  let current: LiveProc | undefined = oldParent;
  for (let depth = 0; current !== undefined && depth < MAX_ANCESTOR_WALK; depth++) {
    const up = current.ppid;
    if (up === undefined) break;
    if (up === newPpid) return { kind: 'reparent', verified: true, oldParentEnded: oldParent };
    if (up === 0 || up === 1 || up === current.pid) return { kind: 'pid-reused' };
    current = live.get(up);
  }
  return { kind: 'reparent', verified: false };
}
