import { listPids } from '../proc/list-pids.js';
import type { ProcOptions } from '../proc/proc-options.js';
import { readProcEntry } from '../proc/read-proc-entry.js';
import type { CacheStore, TreeStore } from './stores.js';

/** What a snapshot read. */
export interface SnapshotSummary {
  /** Processes inserted into the tree and the cache. */
  processes: number;
  /** Listed, then gone before we read them: normal churn. */
  vanished: number;
  /** Present but not readable (permissions, hidepid): the tree is incomplete. */
  unreadable: number;
}

/**
 * Seeds the tree and the cache with every process in /proc (crate: `snapshot`). Call once
 * before feeding events. The listing is not atomic: a process may exit, or a new one appear,
 * while we read; the tree code tolerates it (start times reveal reused pids).
 */
export function snapshot(tree: TreeStore, cache: CacheStore, options: ProcOptions = {}): SnapshotSummary {
  const summary: SnapshotSummary = { processes: 0, vanished: 0, unreadable: 0 };
  for (const pid of listPids(options)) {
    const entry = readProcEntry(pid, options);
    if (entry.ok) {
      tree.insertNode(pid, entry.node);
      cache.insertInfo(pid, entry.info);
      summary.processes++;
    } else if (entry.problem === 'gone' || entry.problem === 'thread') {
      // 'thread' only when a pid exited and a thread of another process got its number
      // between listing and reading: churn, like a vanished process.
      summary.vanished++;
    } else {
      summary.unreadable++;
    }
  }
  return summary;
}
