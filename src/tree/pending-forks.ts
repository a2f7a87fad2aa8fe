import type { ForkEvent } from '../events/proc-event.js';
import type { TreeStore } from './stores.js';

/**
 * Forks a source could not tell from thread creation (`maybeThread`), held per tree until
 * the child shows up as a process. Bounded: a thread never shows up, so without a cap a
 * threaded server would grow this forever. The oldest guesses go first.
 */
export const MAX_PENDING_FORKS = 4096;

const pendingByTree = new WeakMap<TreeStore, Map<number, ForkEvent>>();

export function holdFork(tree: TreeStore, event: ForkEvent): void {
  let pending = pendingByTree.get(tree);
  if (pending === undefined) pendingByTree.set(tree, (pending = new Map()));
  pending.delete(event.childPid); // re-insert at the end: Map keeps insertion order
  pending.set(event.childPid, event);
  if (pending.size > MAX_PENDING_FORKS) {
    const oldest = pending.keys().next().value;
    if (oldest !== undefined) pending.delete(oldest);
  }
}

/** Removes and returns the held fork of pid, if any: pid turned out to be a process. */
export function takeFork(tree: TreeStore, pid: number): ForkEvent | undefined {
  const pending = pendingByTree.get(tree);
  const event = pending?.get(pid);
  if (event !== undefined) pending!.delete(pid);
  return event;
}

/** Forgets a held fork: pid is known to be something else now. */
export function dropFork(tree: TreeStore, pid: number): void {
  pendingByTree.get(tree)?.delete(pid);
}
