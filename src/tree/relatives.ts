import { couldBeParent } from './start-order.js';
import type { TreeStore } from './stores.js';

/** Hard cap on any walk through the tree, so a corrupted store cannot make a query run forever. */
export const MAX_TREE_WALK = 1_000_000;

/**
 * parent pid -> child pids (ascending), built in one pass. A child is filed under its
 * parent only if that parent could have created it (see couldBeParent), so a process that
 * reused a dead parent's pid does not adopt the dead one's children.
 */
export function childIndex(tree: TreeStore): Map<number, number[]> {
  const index = new Map<number, number[]>();
  for (const pid of tree.allPids()) {
    const node = tree.getNode(pid);
    if (node === undefined || node.ppid === pid) continue;
    const parent = tree.getNode(node.ppid);
    if (parent !== undefined && !couldBeParent(parent, node)) continue;
    let list = index.get(node.ppid);
    if (list === undefined) index.set(node.ppid, (list = []));
    list.push(pid);
  }
  for (const list of index.values()) list.sort((a, b) => a - b);
  return index;
}

/** Direct children of a pid, ascending. */
export function children(tree: TreeStore, pid: number): number[] {
  return childIndex(tree).get(pid) ?? [];
}

/**
 * Every descendant of a pid in breadth-first order (children, then grandchildren, ...),
 * each level ascending. Cycle-safe: a pid is visited once.
 */
export function descendants(tree: TreeStore, pid: number, index: Map<number, number[]> = childIndex(tree)): number[] {
  const seen = new Set<number>([pid]);
  const result: number[] = [];
  const queue = [pid];
  for (let head = 0; head < queue.length && result.length < MAX_TREE_WALK; head++) {
    for (const kid of index.get(queue[head]!) ?? []) {
      if (seen.has(kid)) continue;
      seen.add(kid);
      result.push(kid);
      queue.push(kid);
    }
  }
  return result;
}

/** Other children of the same parent, ascending; empty for an unknown pid. */
export function siblings(tree: TreeStore, pid: number): number[] {
  const node = tree.getNode(pid);
  if (node === undefined) return [];
  return children(tree, node.ppid).filter((p) => p !== pid);
}

/** Number of pids in the tree (crate: `tree_len`). */
export function treeLen(tree: TreeStore): number {
  return tree.allPids().length;
}
