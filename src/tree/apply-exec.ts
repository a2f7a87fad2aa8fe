import type { ExecEvent } from '../events/proc-event.js';
import type { HandleEventOptions } from './handle-options.js';
import { liveEntryAt } from './live-lookup.js';
import { commOfImage, emptyInfo, withCreds, withImage } from './merge-info.js';
import type { CacheStore, TreeStore } from './stores.js';
import type { PidNode } from './types.js';

/**
 * A process replaced its image: new name, exe, argv (and maybe credentials); same pid,
 * same parent, same start time (exec does not start a process). An exec on a pid whose
 * process already exited belongs to a newer process whose fork we missed: it starts
 * fresh, with an unknown start time, rather than inheriting the dead one's.
 */
export function applyExec(tree: TreeStore, cache: CacheStore, event: ExecEvent, options: HandleEventOptions): void {
  const { pid, timestampNs } = event;
  let node = tree.getNode(pid);
  let info = cache.getInfo(pid);
  if (node?.exitTimeNs !== undefined && node.exitTimeNs <= timestampNs) {
    node = undefined;
    info = undefined;
  }
  const live = options.readProc ? liveEntryAt(pid, timestampNs, options) : undefined;
  const ppid = event.ppid ?? node?.ppid ?? info?.ppid ?? live?.node.ppid ?? 0;
  const startTimeNs = node?.startTimeNs ?? live?.node.startTimeNs;
  let next = info ?? { ...(live?.info ?? emptyInfo(pid, ppid, timestampNs)), startTimeNs: startTimeNs ?? timestampNs };
  next = withCreds(withImage({ ...next, ppid }, event.image), event.creds, options.readProc === true);
  // The connector's exec carries nothing but the pid: the live name is the best we have.
  const cmd = commOfImage(event.image) ?? live?.info.cmd ?? next.cmd;
  if (live !== undefined) {
    // The live process may have exec'd again since; for a live source that lag is small.
    if (event.image.exe === undefined) next = { ...next, exe: live.info.exe, argv: event.image.argv ?? live.info.argv };
    if (event.creds === undefined) next = { ...next, uid: live.info.uid, euid: live.info.euid, user: live.info.user };
  }
  next = { ...next, cmd };
  const newNode: PidNode = { ppid, cmd };
  if (startTimeNs !== undefined) newNode.startTimeNs = startTimeNs;
  tree.insertNode(pid, newNode);
  cache.insertInfo(pid, next);
}
