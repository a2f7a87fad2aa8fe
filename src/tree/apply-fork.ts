import type { ForkEvent } from '../events/proc-event.js';
import type { HandleEventOptions } from './handle-options.js';
import { liveEntryAt } from './live-lookup.js';
import { commOfImage, emptyInfo, withCreds, withImage } from './merge-info.js';
import type { CacheStore, TreeStore } from './stores.js';
import type { PidNode } from './types.js';

/**
 * A new process: it gets its own node (replacing whatever held the pid before, which must
 * have exited even if we missed the exit) and starts as a copy of its parent's image and
 * credentials, which is what fork does.
 */
export function applyFork(tree: TreeStore, cache: CacheStore, event: ForkEvent, options: HandleEventOptions): void {
  const { childPid, parentPid, timestampNs } = event;
  let parentNode = tree.getNode(parentPid);
  let parentInfo = cache.getInfo(parentPid);
  if (options.readProc && parentNode === undefined) {
    const live = liveEntryAt(parentPid, timestampNs, options);
    if (live !== undefined) {
      tree.insertNode(parentPid, (parentNode = live.node));
      cache.insertInfo(parentPid, (parentInfo = live.info));
    }
  }
  const base = parentInfo === undefined ? emptyInfo(childPid, parentPid, timestampNs) : parentInfo;
  let info = withCreds(withImage({ ...base, pid: childPid, ppid: parentPid, startTimeNs: timestampNs }, event.parentImage), event.parentCreds, options.readProc === true);
  const cmd = commOfImage(event.parentImage) ?? (parentNode?.cmd || info.cmd);
  info = { ...info, cmd };
  const node: PidNode = { ppid: parentPid, cmd, startTimeNs: timestampNs };
  tree.insertNode(childPid, node);
  cache.insertInfo(childPid, info);
}
