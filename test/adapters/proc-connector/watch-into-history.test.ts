import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ancestryAt } from '../../../src/history/ancestry-at.js';
import { openHistoryStore } from '../../../src/history/open-history-store.js';
import { watchIntoHistory } from '../../../adapters/proc-connector/watch-into-history.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const nowNs = () => BigInt(Date.now()) * 1_000_000n;

function ppidOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

describe('watchIntoHistory (live, needs root)', () => {
  it('keeps the database current while real processes start, exit and get reparented', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'pc-watch-')), 'watch.db');
    const controller = new AbortController();
    const running = watchIntoHistory({ db, signal: controller.signal });
    try {
      await sleep(800); // subscribed, seeded, first commit

      const shell = spawn('/bin/sh', ['-c', 'sleep 0.4; exit 3']);
      const shellExit = once(shell, 'exit');
      await sleep(150);
      const duringShell = nowNs();
      await sleep(600); // > one commit interval while the shell still runs

      // Read while watch is running, from another connection (WAL).
      const liveStore = await openHistoryStore(db);
      try {
        const chain = (await ancestryAt(liveStore, { pid: shell.pid!, atNs: duringShell })).chain.map((l) => l.pid);
        expect(chain.slice(0, 3)).toEqual([shell.pid, process.pid, process.ppid]);
      } finally {
        await liveStore.close();
      }
      const [code] = await shellExit;
      expect(code).toBe(3);

      const daemon = Number(
        spawnSync('/bin/sh', ['-c', '(setsid /bin/sleep 1 </dev/null >/dev/null 2>&1 & echo $!)'], { encoding: 'utf8' }).stdout.trim(),
      );
      await sleep(200);
      const reaper = ppidOf(daemon);
      const afterReparent = nowNs();
      expect(reaper).toBeDefined();
      await sleep(400);

      controller.abort();
      const summary = await running;
      expect(summary.live.enobufs).toBe(0);
      expect(summary.live.stats.lostMessages).toBe(0);
      expect(summary.commits).toBeGreaterThan(1);

      const store = await openHistoryStore(db);
      try {
        const [instance] = await store.read((r) => r.instancesOfPid('', shell.pid!));
        expect(instance).toMatchObject({ exitCode: 3, endCertainty: 'observed', startKnown: true });
        const daemonChain = (await ancestryAt(store, { pid: daemon, atNs: afterReparent })).chain.map((l) => l.pid);
        expect(daemonChain[1]).toBe(reaper);
        expect(await store.read((r) => r.lossesBetween('', 0n, nowNs()))).toEqual([]);
      } finally {
        await store.close();
      }
    } finally {
      controller.abort();
      await running.catch(() => undefined);
    }
  });
});
