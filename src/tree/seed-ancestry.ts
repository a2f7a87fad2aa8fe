import type { ProcOptions } from '../proc/proc-options.js';
import { readProcEntry, type ProcEntryResult } from '../proc/read-proc-entry.js';
import { MAX_CHAIN_LENGTH } from './chain.js';
import type { CacheStore, TreeStore } from './stores.js';

/**
 * Reads pid and its ancestors from /proc into the tree and the cache, walking up until
 * a root, a parent that is gone, or a pid already read. Much cheaper than a full
 * snapshot when only one chain is wanted. Returns the result of reading pid itself, so
 * the caller can tell "no such process" from "not readable".
 */
export function seedAncestry(tree: TreeStore, cache: CacheStore, pid: number, options: ProcOptions = {}): ProcEntryResult {
  const first = readProcEntry(pid, options);
  let entry = first;
  let current = pid;
  const seen = new Set<number>();
  while (entry.ok && !seen.has(current) && seen.size < MAX_CHAIN_LENGTH) {
    seen.add(current);
    tree.insertNode(current, entry.node);
    cache.insertInfo(current, entry.info);
    if (entry.node.ppid === 0) break;
    current = entry.node.ppid;
    entry = readProcEntry(current, options);
  }
  return first;
}
