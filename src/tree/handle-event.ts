import type { ProcEvent } from '../events/proc-event.js';
import { applyExec } from './apply-exec.js';
import { applyFork } from './apply-fork.js';
import { applyObserved } from './apply-observed.js';
import { applyComm, applyCreds, applyExit } from './apply-updates.js';
import type { HandleEventOptions } from './handle-options.js';
import { beforeOwnEvent, forgetNamespaced, markNamespaceInit, noteAppliedFork, noteOwnEvent, takeNamespacedFork } from './namespace-forks.js';
import { dropFork, holdFork, takeFork } from './pending-forks.js';
import type { CacheStore, TreeStore } from './stores.js';

/**
 * Applies one event to the tree and the cache (crate: `handle_event`).
 *
 * fork, exec, exit maintain the tree; observed creates or reparents; comm and creds
 * update names and users; sid, ptrace, coredump and loss do not change ancestry and are
 * accepted and ignored. A fork flagged `maybeThread` is held until its child shows up in
 * a later event as a process (then it is applied first); a thread never does. Forks of a
 * process inside a pid namespace return namespace-local pids: namespace-forks.ts holds them
 * until the child shows up under its host pid; the child of a clone with CLONE_NEWPID
 * (`newPidNamespace`) is such a process from birth.
 */
export function handleEvent(tree: TreeStore, cache: CacheStore, event: ProcEvent, options: HandleEventOptions = {}): void {
  if (event.kind === 'fork') {
    // A fork can be the creator's first event (a namespaced subshell forks before any
    // exec): as for its other events, a namespaced parent makes it namespaced.
    if (event.parentPpid !== undefined) beforeOwnEvent(tree, cache, event.parentPid, event.parentPpid, event.timestampNs, false, options);
    if (takeNamespacedFork(tree, cache, event)) return;
    if (event.maybeThread) return holdFork(tree, event);
    dropFork(tree, event.childPid);
    noteAppliedFork(tree, event, tree.getNode(event.childPid), cache.getInfo(event.childPid));
    applyFork(tree, cache, event, options);
    if (event.newPidNamespace === true) markNamespaceInit(tree, event.childPid);
    return;
  }
  if (event.kind === 'loss') return;
  noteOwnEvent(tree, event.pid);
  const held = takeFork(tree, event.pid);
  if (held !== undefined) applyFork(tree, cache, held, options);
  switch (event.kind) {
    case 'exec':
      beforeOwnEvent(tree, cache, event.pid, event.ppid, event.timestampNs, true, options);
      return applyExec(tree, cache, event, options);
    case 'exit':
      beforeOwnEvent(tree, cache, event.pid, event.ppid, event.timestampNs, false, options);
      applyExit(tree, event);
      return forgetNamespaced(tree, event.pid);
    case 'observed':
      beforeOwnEvent(tree, cache, event.pid, event.ppid, event.timestampNs, false, options);
      return applyObserved(tree, cache, event, options);
    case 'comm':
      return applyComm(tree, cache, event);
    case 'creds':
      return applyCreds(cache, event, options);
    case 'sid':
    case 'ptrace':
    case 'coredump':
      return;
  }
}

/** Applies events in order (crate: `handle_events`). */
export function handleEvents(
  tree: TreeStore,
  cache: CacheStore,
  events: Iterable<ProcEvent>,
  options: HandleEventOptions = {},
): void {
  for (const event of events) handleEvent(tree, cache, event, options);
}
