import type { ObservedEvent } from '../events/proc-event.js';
import { sameStartTime } from '../proc/start-time.js';
import type { HandleEventOptions } from './handle-options.js';
import { commOfImage, emptyInfo, withCreds, withImage } from './merge-info.js';
import type { CacheStore, TreeStore } from './stores.js';
import type { PidNode } from './types.js';

/**
 * Evidence that pid was alive. Creates a process first seen mid-log, updates the parent
 * when it changed (reparenting to init or a subreaper after the parent died), and starts
 * over when the evidence shows a different process on the pid (another start time, or
 * the old one had exited).
 */
export function applyObserved(tree: TreeStore, cache: CacheStore, event: ObservedEvent, options: HandleEventOptions): void {
  const { pid, timestampNs } = event;
  const old = tree.getNode(pid);
  const differentStart =
    old?.startTimeNs !== undefined && event.startTimeNs !== undefined && !sameStartTime(old.startTimeNs, event.startTimeNs);
  const exited = old?.exitTimeNs !== undefined && old.exitTimeNs <= timestampNs;
  const same = old !== undefined && !differentStart && !exited;
  const ppid = event.ppid ?? (same ? old.ppid : 0);
  const startTimeNs = (same ? old.startTimeNs : undefined) ?? event.startTimeNs;
  const known = same ? cache.getInfo(pid) : undefined;
  let info = known ?? emptyInfo(pid, ppid, startTimeNs ?? timestampNs);
  // An exact start replaces a "first seen" one.
  if (event.startTimeNs !== undefined && old?.startTimeNs === undefined) info = { ...info, startTimeNs: event.startTimeNs };
  info = withCreds(withImage({ ...info, ppid }, event.image), event.creds, options.readProc === true);
  const cmd = commOfImage(event.image) ?? ((same ? old.cmd : '') || info.cmd);
  const node: PidNode = { ppid, cmd };
  if (startTimeNs !== undefined) node.startTimeNs = startTimeNs;
  tree.insertNode(pid, node);
  cache.insertInfo(pid, { ...info, cmd });
}
