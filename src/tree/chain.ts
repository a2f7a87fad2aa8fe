import { sameStartTime } from '../proc/start-time.js';
import { couldBeParent } from './start-order.js';
import type { CacheStore, TreeStore } from './stores.js';
import type { PidNode, ProcInfo, ProcessLink } from './types.js';

/** Longest chain we build. Real chains are a few dozen deep; anything longer is a corrupted tree. */
export const MAX_CHAIN_LENGTH = 4096;

/**
 * Cache info only if it describes the same process as the node: same start time when the
 * node knows its start. Otherwise the cache holds an older process that had this pid, or a
 * newer one `resolve` read from /proc after this node's process exited.
 */
function matchingInfo(cache: CacheStore, pid: number, node: PidNode): ProcInfo | undefined {
  const info = cache.getInfo(pid);
  if (info === undefined || node.startTimeNs === undefined) return info;
  return sameStartTime(info.startTimeNs, node.startTimeNs) ? info : undefined;
}

function toLink(pid: number, node: PidNode, info: ProcInfo | undefined): ProcessLink {
  const link: ProcessLink = {
    pid,
    ppid: node.ppid,
    cmd: node.cmd || info?.cmd || '',
    user: info?.user ?? '',
    uid: info?.uid ?? -1,
    exe: info?.exe ?? '',
    argv: info?.argv ?? [],
  };
  const start = node.startTimeNs ?? info?.startTimeNs;
  if (start !== undefined) link.startTimeNs = start;
  if (node.exitTimeNs !== undefined) link.exitTimeNs = node.exitTimeNs;
  return link;
}

/**
 * The ancestry chain of a pid, self first, from the tree alone (no /proc reads: for a
 * replayed log the live /proc belongs to other processes). Stops at a root (ppid 0 or a
 * self-parent), at a parent the tree does not know, at a parent that started after its
 * child (its pid was reused), at a pid already visited (corrupted tree), or after
 * MAX_CHAIN_LENGTH links. Empty when the tree does not know the pid.
 */
export function buildChainLinks(tree: TreeStore, cache: CacheStore, pid: number): ProcessLink[] {
  const links: ProcessLink[] = [];
  const visited = new Set<number>();
  let current = pid;
  let node = tree.getNode(current);
  while (node !== undefined && !visited.has(current) && links.length < MAX_CHAIN_LENGTH) {
    visited.add(current);
    links.push(toLink(current, node, matchingInfo(cache, current, node)));
    if (node.ppid === 0 || node.ppid === current) break;
    const parent = tree.getNode(node.ppid);
    if (parent === undefined || !couldBeParent(parent, node)) break;
    current = node.ppid;
    node = parent;
  }
  return links;
}

/** The crate's link format `pid|cmd|user`, e.g. `102|touch|root`. */
export function formatLink(link: Pick<ProcessLink, 'pid' | 'cmd' | 'user'>): string {
  return `${link.pid}|${link.cmd}|${link.user}`;
}

/**
 * The chain as one string in the crate's format: links `pid|cmd|user`, self first,
 * joined by `;`, e.g. `102|touch|root;101|sh|root;1|systemd|root`. Empty string for an
 * unknown pid. A cmd containing `|` or `;` is printed as is (it is a task name the
 * process chose); use buildChainLinks when the output must be parsed back.
 */
export function buildChainString(tree: TreeStore, cache: CacheStore, pid: number): string {
  return buildChainLinks(tree, cache, pid).map(formatLink).join(';');
}

/**
 * True when some strict ancestor of pid (parent, grandparent, ...) has cmd === targetCmd.
 * The process itself does not count (the crate's version also matches the pid's own
 * name; a process is not its own descendant). Cycle-safe and bounded like buildChainLinks.
 */
export function isDescendant(tree: TreeStore, pid: number, targetCmd: string): boolean {
  const visited = new Set<number>([pid]);
  let child = tree.getNode(pid);
  while (child !== undefined && child.ppid !== 0 && !visited.has(child.ppid) && visited.size < MAX_CHAIN_LENGTH) {
    const parent = tree.getNode(child.ppid);
    if (parent === undefined || !couldBeParent(parent, child)) return false;
    if (parent.cmd === targetCmd) return true;
    visited.add(child.ppid);
    child = parent;
  }
  return false;
}
