import type { HistoryReader, HistoryStore } from './history-store.js';
import { aliveAtEvent, instancesAtEvent, withoutLaterHolders } from './alive-at-event.js';
import type { InstanceRow, ParentRow } from './history-types.js';
import { commandOf, imageAt } from './image-at.js';
import { INIT_PID, outsideHistory } from './history-span.js';
import { noProcessAtTime } from './query-errors.js';
import { formatTimeNs } from '../time/format-time.js';
import { atText, choosePidHost, type HostChoice } from './resolve-host.js';
import { countNodes, nodeOf, treeAtInSnapshot, type TreeNode } from './tree-at.js';

export interface DescendantsQuery {
  host?: string;
  pid: number;
  /** The root instance itself, when known (pid and host then follow from it): no choice among a window's holders of pid. */
  instanceId?: number;
  /** Descendants alive at this time (by the parent at that time). */
  atNs?: bigint;
  /** With atNs: the time is an audit event id (see AncestryQuery.atSerial). */
  atSerial?: number;
  /** Or: everything that descended from the instance in [fromNs, toNs], short-lived included. */
  fromNs?: bigint;
  toNs?: bigint;
}

export interface DescendantsResult {
  host: string;
  /** The process instance itself, its descendants as children. */
  root: TreeNode;
  count: number;
  /** True when a node's place is doubtful (its `notes`) or the whole answer is (`notes`). */
  uncertain: boolean;
  /** The time (a window: its end) is after the last record of the host's history; `before`: before its first. */
  outsideHistory?: 'before' | 'after';
  /** Doubts about the whole answer (a time outside the history). */
  notes: string[];
  /** How the host was chosen, on a history of several hosts (the text answer names it). */
  hostChoice?: HostChoice;
}

/** Guard against cycles in damaged data and absurd fan-out. */
const MAX_NODES = 1_000_000;

/**
 * Descendants of the instance of `pid` alive at `atNs` (or at `fromNs` for a window).
 * At a time: children are instances whose parent at that time is the node. In a window:
 * children are instances the node created or adopted whose lifetime overlaps the window,
 * so processes that lived a few milliseconds between two looks are listed too.
 */
export function descendants(store: HistoryStore, query: DescendantsQuery): Promise<DescendantsResult> {
  return store.read((reader) => descendantsInSnapshot(reader, query));
}

/** `descendants` inside a caller's `read` (several queries on one snapshot). */
export async function descendantsInSnapshot(store: HistoryReader, query: DescendantsQuery): Promise<DescendantsResult> {
  const window = query.atNs === undefined;
  const atSerial = window ? undefined : query.atSerial;
  const fromNs = query.atNs ?? query.fromNs;
  const toNs = query.atNs ?? query.toNs;
  if (fromNs === undefined || toNs === undefined) throw new Error('descendants: give atNs, or fromNs and toNs');
  const given = query.instanceId === undefined ? undefined : await store.instance(query.instanceId);
  const choice: HostChoice =
    given !== undefined
      ? { host: given.host }
      : await choosePidHost(store, query.host, query.pid, {
          text: window ? `in ${formatTimeNs(fromNs)} .. ${formatTimeNs(toNs)}` : atText(fromNs),
          aliveOn: async (h) => (await recordedDuring(store, h, fromNs, toNs)) && (query.pid === INIT_PID || (await findRoot(store, h, query.pid, fromNs, toNs, atSerial)) !== undefined),
        });
  const host = choice.host;
  const hostChoice = choice.several ? { hostChoice: choice } : {};
  const rootInst = given ?? (await findRoot(store, host, query.pid, fromNs, toNs, atSerial));
  if (rootInst === undefined && query.pid === INIT_PID && !window) {
    // init runs from boot: the tree draws it, recorded or not, with the processes whose parent it was.
    const tree = await treeAtInSnapshot(store, { host, atNs: fromNs, pid: INIT_PID, ...(atSerial !== undefined ? { atSerial } : {}) });
    const { roots, notes, uncertain } = tree;
    return { host, root: roots[0]!, count: tree.count - 1, uncertain, notes, ...(tree.outsideHistory !== undefined ? { outsideHistory: tree.outsideHistory } : {}), ...hostChoice };
  }
  if (rootInst === undefined) throw await noProcessAtTime(store, host, query.pid, fromNs, query.host ?? (choice.several ? host : undefined));
  const at = query.atNs ?? lastMomentIn(rootInst, toNs);
  const root = await nodeOf(store, rootInst, at, await imageAt(store, rootInst, at, atSerial));
  // The root's parent, as ancestry names it (init's is the kernel, recorded or not).
  const rootParent = await parentThen(store, rootInst, at, atSerial);
  if (rootInst.pid === INIT_PID && (rootParent === undefined || rootParent.ppid === 0)) root.ppid = 0;
  else if (rootParent !== undefined) root.ppid = rootParent.ppid;
  if (window) await addExecs(store, root, rootInst, fromNs, at);
  const visited = new Set<number>([rootInst.id]);
  const queue: TreeNode[] = [root];
  while (queue.length > 0 && visited.size < MAX_NODES) {
    const node = queue.shift()!;
    const children = await store.childrenOf(node.instanceId);
    for (const child of window ? children : withoutLaterHolders(children.filter((c) => aliveAtEvent(c, fromNs, atSerial)), fromNs, atSerial)) {
      if (visited.has(child.id)) continue;
      if (window ? !overlaps(child, fromNs, toNs) : !aliveAtEvent(child, fromNs, atSerial)) continue;
      if (!window) {
        // At a time: the child's parent then must be this node.
        const row = await parentThen(store, child, fromNs, atSerial);
        if (row === undefined || (row.parentId !== undefined ? row.parentId !== node.instanceId : row.ppid !== node.pid)) continue;
      }
      visited.add(child.id);
      const childAt = window ? lastMomentIn(child, toNs) : fromNs;
      const childNode = await nodeOf(store, child, childAt, await imageAt(store, child, childAt, atSerial));
      if (window) await addExecs(store, childNode, child, fromNs, childAt);
      childNode.ppid = node.pid;
      node.children.push(childNode);
      queue.push(childNode);
    }
    node.children.sort((a, b) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : a.pid - b.pid));
  }
  const result: DescendantsResult = { host, root, count: countNodes(root) - 1, uncertain: false, notes: [], ...hostChoice };
  let recordAfter = false;
  const walk = (n: TreeNode): void => {
    if (n.endNs !== undefined && n.endNs > toNs) recordAfter = true;
    n.children.forEach(walk);
  };
  walk(root);
  const outside = await outsideHistory(store, host, toNs, recordAfter);
  // A window that starts before the history still has an answer from its first record on.
  if (outside !== undefined && (!window || outside.side === 'after')) {
    result.outsideHistory = outside.side;
    result.notes.push(outside.note);
  }
  result.uncertain = result.notes.length > 0 || hasNotes(root);
  return result;
}

function hasNotes(node: TreeNode): boolean {
  return node.notes !== undefined || node.children.some(hasNotes);
}

/**
 * A node of a window shows the image it had at its last moment in the window; when it
 * exec'd more than once there, list its commands in order, or a shell that forked children
 * and then exec'd `sleep` would read as a `sleep` with children.
 */
async function addExecs(store: HistoryReader, node: TreeNode, inst: InstanceRow, fromNs: bigint, lastNs: bigint): Promise<void> {
  const cmds: string[] = [];
  for (const image of await store.images(inst.id)) {
    if (image.sinceNs > lastNs) break;
    // Before the window only the image in force at its start counts.
    if (image.sinceNs < fromNs) cmds.length = 0;
    if (image.kind !== 'exec' && image.kind !== 'seen') continue;
    const cmd = commandOf(image);
    if (cmd !== '' && cmd !== cmds[cmds.length - 1]) cmds.push(cmd);
  }
  if (cmds.length > 1) node.execs = cmds;
}

/** The instance lived at some time in [fromNs, toNs] (at a time, fromNs = toNs: alive then). */
export function overlaps(inst: InstanceRow, fromNs: bigint, toNs: bigint): boolean {
  if (inst.startNs > toNs) return false;
  if (inst.endNs === undefined) return true;
  return fromNs === toNs ? inst.endNs > fromNs : inst.endNs >= fromNs;
}

/** Some of [fromNs, toNs] lies within `host`'s recorded history (ends included). */
async function recordedDuring(store: HistoryReader, host: string, fromNs: bigint, toNs: bigint): Promise<boolean> {
  const startNs = await store.historyStartNs(host);
  if (startNs === undefined || toNs < startNs) return false;
  const endNs = await store.historyEndNs(host, fromNs);
  return endNs !== undefined && fromNs <= endNs;
}

async function findRoot(store: HistoryReader, host: string, pid: number, fromNs: bigint, toNs: bigint, atSerial: number | undefined): Promise<InstanceRow | undefined> {
  const at = (await instancesAtEvent(store, host, pid, fromNs, atSerial))[0];
  if (at !== undefined || fromNs === toNs) return at;
  // Window: the first instance of pid that lived in it.
  return (await store.instancesOfPid(host, pid)).find((i) => overlaps(i, fromNs, toNs));
}

/** The parent row in force at the time; at an event id, rows of that ms recorded later are not in force yet. */
async function parentThen(store: HistoryReader, inst: InstanceRow, atNs: bigint, atSerial: number | undefined): Promise<ParentRow | undefined> {
  if (atSerial === undefined) return store.parentAt(inst.id, atNs);
  return (await store.chainAt(inst.id, atNs, 'parent', atSerial)).find((r) => r.instance.id === inst.id)?.parent;
}

/** Show what a process ran last within the window: at `toNs`, or just before it ended. */
export function lastMomentIn(inst: InstanceRow, toNs: bigint): bigint {
  if (inst.endNs === undefined || inst.endNs > toNs) return toNs;
  return inst.endNs > inst.startNs ? inst.endNs - 1n : inst.startNs;
}
