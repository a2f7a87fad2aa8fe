import type { ForkEvent } from '../events/proc-event.js';
import { applyFork } from './apply-fork.js';
import type { HandleEventOptions } from './handle-options.js';
import type { CacheStore, TreeStore } from './stores.js';
import type { PidNode, ProcInfo } from './types.js';

/**
 * Forks made inside a pid namespace, for the pid-keyed tree (the history's version, with
 * the evidence, is src/history/namespace-forks.ts). Audit's pid=/ppid= are host pids but a
 * fork's return value is the child's pid in the caller's namespace: applied as a host pid
 * it overwrites another process's node (samples/auditd/pid-namespace). A process is taken
 * as namespaced when, shortly after it forked Y (no event of Y since), a never-seen pid X
 * far from Y execs naming it as parent; its forks are then held until a new child of it
 * shows up, and each child is created from the oldest held fork under its own pid. Its
 * children are namespaced too. A child of clone(CLONE_NEWPID) (ForkEvent.newPidNamespace)
 * is namespaced from birth, before any fork of its could be applied wrongly (detection
 * needs local pids far from host ones; samples/auditd/clone-newpid has them near). The
 * connector reports host pids: this only matters for audit input.
 */

/** Detection looks only at this process's forks this recent ... */
const DETECT_NS = 500_000_000n;
/** ... returning pids at least this far from the new child's (host pids come from one counter in order). */
const PID_GAP = 1024;
/** Bounds: recent forks remembered per tree, held forks per namespaced process. */
const MAX_RECENT_FORKS = 4096;
const MAX_HELD_FORKS = 1024;

interface RecentFork {
  event: ForkEvent;
  /** What the pid held before the fork was applied (restored if the pid was namespace-local). */
  node?: PidNode;
  info?: ProcInfo;
}

interface NamespaceState {
  /** Forks applied whose child has shown no event of its own yet, by child pid (oldest first). */
  recent: Map<number, RecentFork>;
  /** Processes whose forks return namespace-local pids. */
  local: Set<number>;
  /** Held forks of namespaced processes, by parent pid, oldest first. */
  held: Map<number, ForkEvent[]>;
  /** Namespaced children whose own exec came before their parent's fork record, by parent pid. */
  early: Map<number, number[]>;
}

const stateByTree = new WeakMap<TreeStore, NamespaceState>();

function stateOf(tree: TreeStore): NamespaceState {
  let s = stateByTree.get(tree);
  if (s === undefined) stateByTree.set(tree, (s = { recent: new Map(), local: new Set(), held: new Map(), early: new Map() }));
  return s;
}

/**
 * Call for every fork that is not a thread guess. Returns true when the fork was taken
 * here (a namespaced creator: nothing may be applied under the pid it returned).
 */
export function takeNamespacedFork(tree: TreeStore, cache: CacheStore, event: ForkEvent): boolean {
  const s = stateOf(tree);
  s.recent.delete(event.parentPid); // its own record
  if (!s.local.has(event.parentPid)) return false;
  const early = s.early.get(event.parentPid);
  const child = early?.shift();
  if (early?.length === 0) s.early.delete(event.parentPid);
  if (child !== undefined) {
    // The child exec'd before this record (vfork): it was born here.
    const node = tree.getNode(child);
    if (node !== undefined && node.startTimeNs === undefined) tree.insertNode(child, { ...node, startTimeNs: event.timestampNs });
    const info = cache.getInfo(child);
    if (info !== undefined && info.startTimeNs > event.timestampNs) cache.insertInfo(child, { ...info, startTimeNs: event.timestampNs });
    return true;
  }
  let queue = s.held.get(event.parentPid);
  if (queue === undefined) s.held.set(event.parentPid, (queue = []));
  if (queue.length >= MAX_HELD_FORKS) queue.shift();
  queue.push(event);
  return true;
}

/** Remembers an applied fork (and what its pid held before) until its child shows up. */
export function noteAppliedFork(tree: TreeStore, event: ForkEvent, node: PidNode | undefined, info: ProcInfo | undefined): void {
  const s = stateOf(tree);
  s.recent.delete(event.childPid);
  s.recent.set(event.childPid, { event, ...(node ? { node } : {}), ...(info ? { info } : {}) });
  if (s.recent.size > MAX_RECENT_FORKS) s.recent.delete(s.recent.keys().next().value!);
}

/**
 * Call before applying any event of `pid` (other than a fork it made). An exec of a pid
 * the tree does not hold alive may reveal a namespaced parent; a child of a namespaced
 * process is created from its parent's oldest held fork.
 */
export function beforeOwnEvent(
  tree: TreeStore,
  cache: CacheStore,
  pid: number,
  ppid: number | undefined,
  timestampNs: bigint,
  byExec: boolean,
  options: HandleEventOptions,
): void {
  const s = stateOf(tree);
  if (ppid === undefined) return;
  const node = tree.getNode(pid);
  if (node !== undefined && node.exitTimeNs === undefined) return; // not a first sighting
  if (!s.local.has(ppid) && !(byExec && detect(tree, cache, s, pid, ppid, timestampNs))) return;
  s.local.add(pid);
  const queue = s.held.get(ppid);
  const fork = queue?.shift();
  if (queue?.length === 0) s.held.delete(ppid);
  if (fork !== undefined) return applyFork(tree, cache, { ...fork, childPid: pid }, options);
  const early = s.early.get(ppid) ?? [];
  if (early.length < MAX_HELD_FORKS) early.push(pid);
  s.early.set(ppid, early);
}

/** `pid` is the init of a new pid namespace (its fork was applied under its host pid): its forks return local pids. */
export function markNamespaceInit(tree: TreeStore, pid: number): void {
  stateOf(tree).local.add(pid);
}

/** Any event of the process's own: the pid a fork returned for it was its own. */
export function noteOwnEvent(tree: TreeStore, pid: number): void {
  stateByTree.get(tree)?.recent.delete(pid);
}

/** The process ended: forget its namespace state. */
export function forgetNamespaced(tree: TreeStore, pid: number): void {
  const s = stateOf(tree);
  s.local.delete(pid);
  s.held.delete(pid);
  s.early.delete(pid);
}

function detect(tree: TreeStore, cache: CacheStore, s: NamespaceState, pid: number, ppid: number, t: bigint): boolean {
  if (ppid === 1) return false; // host init's forks return host pids
  const wrong: [number, RecentFork][] = [];
  for (const [child, f] of s.recent) {
    if (f.event.parentPid !== ppid || child === pid) continue;
    const d = f.event.timestampNs > t ? f.event.timestampNs - t : t - f.event.timestampNs;
    if (d > DETECT_NS) continue;
    if (Math.abs(child - pid) < PID_GAP) return false;
    wrong.push([child, f]);
  }
  if (wrong.length === 0) return false;
  s.local.add(ppid);
  const queue = s.held.get(ppid) ?? [];
  for (const [child, f] of wrong) {
    s.recent.delete(child);
    // Give the pid back what it held; a pid that held nothing keeps a node that ended at
    // once (the store cannot delete), so no chain passes through it later.
    if (f.node !== undefined) tree.insertNode(child, f.node);
    else {
      const n = tree.getNode(child);
      if (n !== undefined) tree.insertNode(child, { ...n, exitTimeNs: f.event.timestampNs });
    }
    if (f.info !== undefined) cache.insertInfo(child, f.info);
    queue.push(f.event);
  }
  queue.sort((a, b) => (a.timestampNs < b.timestampNs ? -1 : a.timestampNs > b.timestampNs ? 1 : 0));
  s.held.set(ppid, queue);
  return true;
}
