import type { ProcOptions } from '../proc/proc-options.js';
import { readProcEntry } from '../proc/read-proc-entry.js';
import { readProcStartTimeNs, sameStartTime } from '../proc/start-time.js';
import type { CacheStore } from './stores.js';
import type { ProcInfo } from './types.js';

/**
 * Facts about a pid, safe against pid reuse (crate: `resolve`).
 *
 * - pid alive, cached start time matches /proc: the cached info.
 * - pid alive, no cache entry or a different start time (the cached process exited and
 *   a new one got its pid): re-read /proc, replace the cache entry, return the new info.
 *   Never the dead process's data.
 * - pid not in /proc: the cached info of the process that last held it, if any. It has
 *   exited, but a late lookup (an event about a short-lived process that already ended)
 *   needs exactly that; no newer process holds the pid, so nothing can be confused.
 * - otherwise undefined.
 *
 * Costs one read of /proc/PID/stat even on a cache hit: that read is the reuse check.
 */
export function resolve(cache: CacheStore, pid: number, options: ProcOptions = {}): ProcInfo | undefined {
  const cached = cache.getInfo(pid);
  const liveStart = readProcStartTimeNs(pid, options);
  if (liveStart === undefined) return cached;
  if (cached !== undefined && sameStartTime(cached.startTimeNs, liveStart)) return cached;
  const entry = readProcEntry(pid, options);
  if (!entry.ok) return undefined; // it exited between two reads; the cached data is another process's
  cache.insertInfo(pid, entry.info);
  return entry.info;
}
