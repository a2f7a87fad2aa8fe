import { descendantsInSnapshot, lastMomentIn, overlaps, type DescendantsResult } from './descendants.js';
import type { HistoryReader } from './history-store.js';
import type { TimelineEntry } from './timeline.js';
import { nodeOf, type TreeNode } from './tree-at.js';

/**
 * What surrounded one process instance at a moment, for `explain`: the other children of
 * its parent and its own descendants that lived within a window around the moment, and the
 * instance's whole recorded life. By instance ids (from the ancestry at that moment), never
 * by pid, so a pid reused inside the window cannot swap in another process.
 */
export interface ProcessContextQuery {
  instanceId: number;
  /** The parent instance at the moment (ancestry's second link); no siblings without it. */
  parentInstanceId?: number;
  atNs: bigint;
  /** Half the window: [atNs - windowNs, atNs + windowNs]. */
  windowNs: bigint;
}

export interface ProcessContext {
  fromNs: bigint;
  toNs: bigint;
  /** The parent's other children alive at some time in the window, by start. */
  siblings: TreeNode[];
  /** Everything that descended from the instance during the window (descendants --from --to). */
  descendants: DescendantsResult;
  /** The instance's start, parent rows, images and end, each with its evidence. */
  timeline: TimelineEntry;
}

export async function processContextInSnapshot(reader: HistoryReader, query: ProcessContextQuery): Promise<ProcessContext> {
  const fromNs = query.atNs - query.windowNs;
  const toNs = query.atNs + query.windowNs;
  const self = await reader.instance(query.instanceId);
  if (self === undefined) throw new Error(`processContext: no instance ${query.instanceId}`);
  const siblings: TreeNode[] = [];
  if (query.parentInstanceId !== undefined) {
    for (const child of await reader.childrenOf(query.parentInstanceId)) {
      if (child.id === self.id || !overlaps(child, fromNs, toNs)) continue;
      siblings.push(await nodeOf(reader, child, lastMomentIn(child, toNs)));
    }
    siblings.sort((a, b) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : a.pid - b.pid));
  }
  const descendants = await descendantsInSnapshot(reader, { pid: self.pid, instanceId: self.id, fromNs, toNs });
  const timeline: TimelineEntry = { instance: self, aliveAtQuery: true, parents: await reader.parents(self.id), images: await reader.images(self.id) };
  return { fromNs, toNs, siblings, descendants, timeline };
}
