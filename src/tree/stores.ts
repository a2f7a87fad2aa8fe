import type { PidNode, ProcInfo } from './types.js';

/**
 * Storage for the tree structure (pid -> parent and name). Implement it to keep the tree
 * somewhere else (a database, a shared map); every query function takes this interface.
 */
export interface TreeStore {
  /** The node for a pid, or undefined when unknown (or evicted by a TTL). */
  getNode(pid: number): PidNode | undefined;
  /** Inserts or replaces the node for a pid. */
  insertNode(pid: number, node: PidNode): void;
  /** Every pid currently stored, in no particular order. */
  allPids(): number[];
}

/** Storage for per-process facts (name, user, exe, start time). */
export interface CacheStore {
  /** Cached facts for a pid, or undefined. Does not check /proc: use `resolve` for that. */
  getInfo(pid: number): ProcInfo | undefined;
  /** Inserts or replaces the facts for a pid. */
  insertInfo(pid: number, info: ProcInfo): void;
}
