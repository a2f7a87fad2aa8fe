import { afterAll, describe, expect, test } from 'vitest';
import { readProcEntry } from '../../src/proc/read-proc-entry.js';
import { readProcStartTimeNs, sameStartTime } from '../../src/proc/start-time.js';
import { DefaultCache } from '../../src/tree/default-tree.js';
import { resolve } from '../../src/tree/resolve.js';
import type { ProcInfo } from '../../src/tree/types.js';
import { useLiveChain, startSleep } from './live-chain-fixture.js';
import { stopPidReuseScripts, withReusedPid } from './pid-reuse-fixture.js';

const chain = useLiveChain();

function liveInfo(pid: number): ProcInfo {
  const entry = readProcEntry(pid);
  if (!entry.ok) throw new Error(`pid ${pid}: ${entry.detail}`);
  return entry.info;
}

afterAll(stopPidReuseScripts);

describe('resolve', () => {
  test('reads /proc on a miss and fills the cache', () => {
    const cache = new DefaultCache();
    const info = resolve(cache, chain.sleepA);
    expect(info).toMatchObject({ pid: chain.sleepA, ppid: chain.inner, cmd: 'sleep' });
    expect(cache.getInfo(chain.sleepA)).toBe(info);
  });

  test('returns the cached entry while the same process holds the pid', () => {
    const cache = new DefaultCache();
    const cached = { ...liveInfo(chain.sleepA), user: 'marker-from-cache' };
    cache.insertInfo(chain.sleepA, cached);
    expect(resolve(cache, chain.sleepA)).toBe(cached);
  });

  test('refuses cached data of another process on the same pid and re-reads /proc', async () => {
    // A real older process's facts under a live pid: exactly what the cache holds after
    // the old process exited and the kernel gave its pid to a new one.
    const cache = new DefaultCache();
    const older = liveInfo(process.pid);
    const stale: ProcInfo = { ...older, pid: chain.sleepB, cmd: 'dead-process' };
    expect(sameStartTime(older.startTimeNs, readProcStartTimeNs(chain.sleepB)!)).toBe(false);
    cache.insertInfo(chain.sleepB, stale);
    const info = resolve(cache, chain.sleepB)!;
    expect(info.cmd).toBe('sleep');
    expect(info.startTimeNs).toBe(readProcStartTimeNs(chain.sleepB));
    expect(cache.getInfo(chain.sleepB)).toBe(info);
  });

  test('keeps answering for a process that exited, from the cache', async () => {
    const sleeper = await startSleep();
    const cache = new DefaultCache();
    const before = resolve(cache, sleeper.pid)!;
    await sleeper.stop();
    expect(readProcStartTimeNs(sleeper.pid)).toBeUndefined();
    expect(resolve(cache, sleeper.pid)).toBe(before);
  });

  test('is undefined for a pid nobody holds and nobody cached', async () => {
    const sleeper = await startSleep();
    await sleeper.stop();
    expect(resolve(new DefaultCache(), sleeper.pid)).toBeUndefined();
  });

  test('after a real pid reuse (pid_max lowered under the kernel lock) returns the new process, not the dead one', async () => {
    const cache = new DefaultCache();
    let old: ProcInfo | undefined;
    const reused = await withReusedPid((pid) => {
      old = resolve(cache, pid);
    });
    try {
      expect(old?.cmd).toBe('sleep');
      expect(cache.getInfo(reused.pid)).toBe(old); // the cache still holds the dead process
      const now = resolve(cache, reused.pid)!;
      expect(now).not.toBe(old);
      expect(now.startTimeNs).toBe(readProcStartTimeNs(reused.pid));
      expect(sameStartTime(now.startTimeNs, old!.startTimeNs)).toBe(false);
      expect(cache.getInfo(reused.pid)).toBe(now);
    } finally {
      reused.stop();
    }
  });
});
