import type { HistoryStore } from './history-store.js';
import type { InstanceRow } from './history-types.js';
import { commandOf, imageAt } from './image-at.js';
import { NoProcessAtTimeError } from './query-errors.js';
import { resolveHost } from './resolve-host.js';

export interface TreeNode {
  pid: number;
  ppid?: number;
  instanceId: number;
  startNs: bigint;
  startKnown: boolean;
  endNs?: bigint;
  cmd: string;
  exe?: string;
  user?: string;
  uid?: number;
  /**
   * Window queries only: every command the process ran in the window, in order, when it
   * exec'd there (the children it forked before an exec ran the earlier command).
   */
  execs?: string[];
  children: TreeNode[];
}

export interface TreeResult {
  host: string;
  atNs: bigint;
  /** Roots: pid 1 and every process whose parent was not alive (by our records) then. */
  roots: TreeNode[];
  /** Number of processes in the tree. */
  count: number;
}

/**
 * What was alive at `atNs`, as a tree by the parent at that time. With `pid`, only that
 * process's subtree (NoProcessAtTimeError when it was not alive then).
 */
export function treeAt(store: HistoryStore, query: { host?: string; atNs: bigint; pid?: number }): TreeResult {
  return store.read(() => treeAtInSnapshot(store, query));
}

function treeAtInSnapshot(store: HistoryStore, query: { host?: string; atNs: bigint; pid?: number }): TreeResult {
  const { atNs } = query;
  const host = resolveHost(store, query.host, query.pid === undefined ? undefined : (h) => store.instancesAt(h, query.pid!, atNs).length > 0);
  const alive = store.aliveAt(host, atNs);
  const nodes = new Map<number, TreeNode>();
  const byPid = new Map<number, TreeNode>();
  for (const inst of preferKnown(alive)) {
    const node = nodeOf(store, inst, atNs);
    nodes.set(inst.id, node);
    byPid.set(inst.pid, node);
  }
  const roots: TreeNode[] = [];
  for (const node of nodes.values()) {
    const row = store.parentAt(node.instanceId, atNs);
    if (row !== undefined) node.ppid = row.ppid;
    const parent = row === undefined ? undefined : (row.parentId !== undefined ? nodes.get(row.parentId) : undefined) ?? byPid.get(row.ppid);
    if (parent !== undefined && parent !== node) parent.children.push(node);
    else roots.push(node);
  }
  const byPidOrder = (a: TreeNode, b: TreeNode): number => a.pid - b.pid;
  for (const node of nodes.values()) node.children.sort(byPidOrder);
  roots.sort(byPidOrder);
  if (query.pid !== undefined) {
    const root = byPid.get(query.pid);
    if (root === undefined) throw new NoProcessAtTimeError(query.pid, atNs, query.host, `see 'proc-tree timeline ${query.pid}'`);
    return { host, atNs, roots: [root], count: countNodes(root) };
  }
  return { host, atNs, roots, count: nodes.size };
}

/** One instance per pid: when records overlap (an exit never seen), the known start wins, then the newest. */
function preferKnown(alive: InstanceRow[]): InstanceRow[] {
  const best = new Map<number, InstanceRow>();
  for (const inst of alive) {
    const old = best.get(inst.pid);
    if (old === undefined || (inst.startKnown && !old.startKnown) || (inst.startKnown === old.startKnown && inst.startNs > old.startNs)) best.set(inst.pid, inst);
  }
  return [...best.values()];
}

export function nodeOf(store: HistoryStore, inst: InstanceRow, atNs: bigint): TreeNode {
  const image = imageAt(store, inst, atNs);
  const node: TreeNode = { pid: inst.pid, instanceId: inst.id, startNs: inst.startNs, startKnown: inst.startKnown, cmd: commandOf(image), children: [] };
  if (inst.endNs !== undefined) node.endNs = inst.endNs;
  if (image?.exe !== undefined) node.exe = image.exe;
  if (image?.user !== undefined) node.user = image.user;
  if (image?.uid !== undefined) node.uid = image.uid;
  return node;
}

export function countNodes(node: TreeNode): number {
  let n = 1;
  for (const c of node.children) n += countNodes(c);
  return n;
}
