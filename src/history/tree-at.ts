import { aliveLinksAtEvent, pidAliveOn } from './alive-at-event.js';
import type { ChainRow, HistoryReader, HistoryStore } from './history-store.js';
import type { ImageRow, InstanceRow } from './history-types.js';
import { formatTimeNs } from '../time/format-time.js';
import { commandOf, imageAt, imageFrom } from './image-at.js';
import { adoptedNote, lossesNote, mayHaveEndedNote, overlapNote, parentRowNotes, sameInstantExecNote } from './link-notes.js';
import { INIT_PID, initSeenLater, outsideHistory, withinHistory } from './history-span.js';
import { noProcessAtTime } from './query-errors.js';
import { atText, chooseHost, type HostChoice } from './resolve-host.js';

export interface TreeNode {
  pid: number;
  ppid?: number;
  /** 0 only for init (pid 1) when no record in the log shows it: it runs from boot all the same. */
  instanceId: number;
  startNs: bigint;
  startKnown: boolean;
  endNs?: bigint;
  /** The end was concluded (pid reused, children reparented), not seen in an exit record. */
  endInferred?: boolean;
  cmd: string;
  exe?: string;
  user?: string;
  uid?: number;
  /**
   * Window queries only: every command the process ran in the window, in order, when it
   * exec'd there (the children it forked before an exec ran the earlier command).
   */
  execs?: string[];
  /** Why this node's place in the tree (its parent at the time) may be wrong; absent when certain. */
  notes?: string[];
  children: TreeNode[];
}

export interface TreeResult {
  host: string;
  /** How the host was chosen, on a history of several hosts (the text answer names it). */
  hostChoice?: HostChoice;
  atNs: bigint;
  /** Roots: pid 1 and every process whose parent was not alive (by our records) then. */
  roots: TreeNode[];
  /** Number of processes in the tree. */
  count: number;
  /** True when some node's parent link is doubtful (its `notes` say why) or events may be missing. */
  uncertain: boolean;
  /** The time is before the first or after the last record of the host's history (a note says which; `uncertain`). */
  outsideHistory?: 'before' | 'after';
  /** Doubts about the whole tree (lost events, a time outside the history). */
  notes: string[];
}

export interface TreeQuery {
  host?: string;
  atNs: bigint;
  /** The time is an audit event id: see AncestryQuery.atSerial. */
  atSerial?: number;
  pid?: number;
}

/**
 * What was alive at `atNs`, as a tree by the parent at that time. With `pid`, only that
 * process's subtree (NoProcessAtTimeError when it was not alive then).
 */
export function treeAt(store: HistoryStore, query: TreeQuery): Promise<TreeResult> {
  return store.read((reader) => treeAtInSnapshot(reader, query));
}

/** `treeAt` inside a caller's `read` (several queries on one snapshot). */
export async function treeAtInSnapshot(store: HistoryReader, query: TreeQuery): Promise<TreeResult> {
  const { atNs, atSerial } = query;
  const { pid } = query;
  const time = { text: atText(atNs), aliveOn: (h: string) => pidAliveOn(store, h, pid!, atNs, atSerial) };
  const choice = await chooseHost(store, query.host, pid, pid === undefined ? undefined : time);
  const host = choice.host;
  // Every alive instance with its parent row and image at atNs, in one statement.
  const links = new Map<number, ChainRow>();
  for (const link of await aliveLinksAtEvent(store, host, atNs, atSerial)) links.set(link.instance.id, link);
  const alive = [...links.values()].map((l) => l.instance);
  const nodes = new Map<number, TreeNode>();
  const byPid = new Map<number, TreeNode>();
  const instances = new Map<number, InstanceRow>();
  const holders = new Map<number, InstanceRow[]>();
  for (const inst of alive) {
    const list = holders.get(inst.pid);
    if (list === undefined) holders.set(inst.pid, [inst]);
    else list.push(inst);
  }
  for (const inst of preferKnown(alive)) {
    const link = links.get(inst.id)!;
    const node = await nodeOf(store, inst, atNs, await imageFrom(store, inst, atNs, link.image, link.creatorImage));
    nodes.set(inst.id, node);
    byPid.set(inst.pid, node);
    instances.set(inst.id, inst);
  }
  const aliveIds = new Set(alive.map((i) => i.id));
  const roots: TreeNode[] = [];
  // init runs from boot to shutdown: draw it when its children are drawn (or it is asked
  // for), even when the log records it only later or never.
  const wantInit = async (): Promise<boolean> => (query.pid === INIT_PID ? withinHistory(store, host, atNs) : alive.some((i) => links.get(i.id)!.parent?.ppid === INIT_PID));
  if (!byPid.has(INIT_PID) && (await wantInit())) {
    const inst = await initSeenLater(store, host, atNs);
    const init: TreeNode = inst !== undefined ? await nodeOf(store, inst, atNs) : unrecordedInit((await store.historyStartNs(host)) ?? atNs);
    init.ppid = 0;
    if (inst !== undefined) aliveIds.add(inst.id);
    byPid.set(INIT_PID, init);
    nodes.set(init.instanceId, init);
    roots.push(init);
  }
  for (const node of nodes.values()) {
    const inst = instances.get(node.instanceId);
    if (inst === undefined) continue; // the init drawn without a record of it alive then
    const notes: string[] = [];
    const sameHolders = holders.get(node.pid)!;
    if (sameHolders.length > 1) notes.push(overlapNote(node.pid, [...sameHolders].sort((a, b) => Number(b.startKnown) - Number(a.startKnown) || (a.startNs > b.startNs ? -1 : 1))));
    const row = links.get(node.instanceId)!.parent;
    let parent: TreeNode | undefined;
    if (row === undefined) {
      if (node.pid !== INIT_PID) notes.push(`chain ends at pid ${node.pid}: no record names its parent`);
      else node.ppid = 0; // init's parent is the kernel, recorded or not
    } else if (node.pid === INIT_PID && row.ppid === 0) {
      node.ppid = 0; // init's parent is always the kernel: a later record of it is no doubt
    } else {
      node.ppid = row.ppid;
      notes.push(...parentRowNotes(inst, row, atNs));
      if (row.ppid !== 0) {
        // As ancestry: the recorded parent instance, never another holder of its pid.
        if (row.parentId === undefined) parent = byPid.get(row.ppid);
        else if (aliveIds.has(row.parentId)) parent = nodes.get(row.parentId) ?? byPid.get(row.ppid);
        else if (holders.has(row.ppid)) notes.push(`the recorded parent (pid ${row.ppid}) had ended by then; pid ${row.ppid} was held by another process`);
        // pid 1 runs from boot: a log that never names it still proves the parent.
        if (parent === undefined && row.ppid !== INIT_PID && !holders.has(row.ppid)) notes.push(`no record of pid ${row.ppid} alive at ${formatTimeNs(atNs)}`);
      }
    }
    const ended = await mayHaveEndedNote(store, inst, atNs);
    if (ended !== undefined) notes.push(ended);
    if (notes.length > 0) node.notes = notes;
    if (parent !== undefined && parent !== node) parent.children.push(node);
    else roots.push(node);
  }
  const byPidOrder = (a: TreeNode, b: TreeNode): number => a.pid - b.pid;
  for (const node of nodes.values()) {
    node.children.sort(byPidOrder);
    // A parent that may have died unseen (SIGKILL writes no record) makes its children's link doubtful too.
    if (node.notes?.some((n) => n.includes('it may have ended before this time'))) {
      for (const child of node.children) {
        (child.notes ??= []).push(`pid ${child.pid}'s parent, pid ${node.pid}, may have ended before this time${await adoptedNote(store, child.pid, child.instanceId, node.pid, atNs)}`);
      }
    }
    // An ancestor that exec'd at exactly this time: its children may have seen the old image.
    const inst = instances.get(node.instanceId);
    if (node.children.length > 0 && inst !== undefined) {
      const link = links.get(inst.id)!;
      const note = await sameInstantExecNote(store, inst, await imageFrom(store, inst, atNs, link.image, link.creatorImage), atNs, atSerial);
      if (note !== undefined) (node.notes ??= []).push(note);
    }
  }
  roots.sort(byPidOrder);
  let shown = roots;
  let count = nodes.size;
  if (query.pid !== undefined) {
    const root = byPid.get(query.pid);
    if (root === undefined) throw await noProcessAtTime(store, host, query.pid, atNs, query.host ?? (choice.several ? host : undefined));
    shown = [root];
    count = countNodes(root);
  }
  const notes: string[] = [];
  const lost = await lossNote(store, host, shown, atNs);
  if (lost !== undefined) notes.push(lost);
  const result: TreeResult = { host, atNs, roots: shown, count, uncertain: false, notes, ...(choice.several ? { hostChoice: choice } : {}) };
  // Any process of the tree that ended after atNs proves the history goes on past it.
  const outside = await outsideHistory(store, host, atNs, alive.some((i) => i.endNs !== undefined && i.endNs > atNs));
  if (outside !== undefined) {
    result.outsideHistory = outside.side;
    notes.push(outside.note);
  }
  result.uncertain = notes.length > 0 || shown.some(hasNotes);
  return result;
}

/** pid 1 when no record in the log shows it: seen since the history's first record. */
function unrecordedInit(historyStartNs: bigint): TreeNode {
  return { pid: INIT_PID, ppid: 0, instanceId: 0, startNs: historyStartNs, startKnown: false, cmd: '', children: [] };
}

/** Loss records between the oldest start in the tree and the query time. */
async function lossNote(store: HistoryReader, host: string, roots: TreeNode[], atNs: bigint): Promise<string | undefined> {
  let from = atNs;
  const walk = (n: TreeNode): void => {
    if (n.startNs < from) from = n.startNs;
    n.children.forEach(walk);
  };
  roots.forEach(walk);
  return lossesNote(await store.lossesBetween(host, from, atNs));
}

function hasNotes(node: TreeNode): boolean {
  return node.notes !== undefined || node.children.some(hasNotes);
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

/** `image`: what `imageAt(store, inst, atNs)` returns, when the caller already has it. */
export async function nodeOf(store: HistoryReader, inst: InstanceRow, atNs: bigint, given?: ImageRow): Promise<TreeNode> {
  const image = given ?? (await imageAt(store, inst, atNs));
  const node: TreeNode = { pid: inst.pid, instanceId: inst.id, startNs: inst.startNs, startKnown: inst.startKnown, cmd: commandOf(image), children: [] };
  if (inst.endNs !== undefined) node.endNs = inst.endNs;
  if (inst.endNs !== undefined && inst.endCertainty === 'inferred') node.endInferred = true;
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
