import type { CommChangeEvent, CredsChangeEvent, ExitEvent } from '../events/proc-event.js';
import type { HandleEventOptions } from './handle-options.js';
import { withCreds } from './merge-info.js';
import type { CacheStore, TreeStore } from './stores.js';

/**
 * The process ended. Its node stays, marked with the exit time, so a late question about
 * it or its children still gets an answer (crate: "the node is preserved for historical
 * chain lookups"); a later fork on the same pid replaces it. Children keep pointing at it:
 * the creator lineage is what an investigation asks for, and a reparenting shows up as an
 * `observed` event with the new ppid.
 */
export function applyExit(tree: TreeStore, event: ExitEvent): void {
  const node = tree.getNode(event.pid);
  if (node === undefined || node.exitTimeNs !== undefined) return;
  tree.insertNode(event.pid, { ...node, exitTimeNs: event.timestampNs });
}

/** The task name changed (prctl PR_SET_NAME, writes to /proc/PID/comm). */
export function applyComm(tree: TreeStore, cache: CacheStore, event: CommChangeEvent): void {
  const node = tree.getNode(event.pid);
  if (node !== undefined) tree.insertNode(event.pid, { ...node, cmd: event.comm });
  const info = cache.getInfo(event.pid);
  if (info !== undefined) cache.insertInfo(event.pid, { ...info, cmd: event.comm });
}

/** Credentials changed without an exec (setuid and friends). */
export function applyCreds(cache: CacheStore, event: CredsChangeEvent, options: HandleEventOptions): void {
  const info = cache.getInfo(event.pid);
  if (info !== undefined) cache.insertInfo(event.pid, withCreds(info, event.creds, options.readProc === true));
}
