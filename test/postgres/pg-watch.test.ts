/**
 * `proc-tree watch --db postgres://...`: the live proc connector (real netlink, needs root)
 * into PostgreSQL, queried while it runs and after; a second watch of the same host is
 * refused as a second ingest is.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ancestryAt } from '../../src/history/ancestry-at.js';
import { openHistoryStore } from '../../src/history/open-history-store.js';
import { join } from 'node:path';
import { REPO_ROOT, runCli } from '../cli/cli-runner.js';
import { freshDatabase, type TestDatabase } from '../support/postgres-database.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const nowNs = () => BigInt(Date.now()) * 1_000_000n;

let db: TestDatabase;
beforeAll(async () => {
  db = await freshDatabase('pg_watch');
});
afterAll(async () => {
  await db.drop();
});

describe('watch into PostgreSQL (live, needs root)', () => {
  it('records real processes, answers while running, refuses a second watch of the host', async () => {
    const watching = runCli(['watch', '--db', db.url, '--host', 'live', '--duration', '6']);
    await sleep(1500); // subscribed, seeded, first commit
    const second = await runCli(['watch', '--db', db.url, '--host', 'live', '--duration', '1']);
    expect(second.code).toBe(75);
    expect(second.stderr).toMatch(/host "live" is being written by pid \d+ .*watch --db/);

    // Ctrl-C while queued behind it (--wait): gives up at once, in one line, holding nothing.
    const queued = spawn(process.execPath, [join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js'), 'watch', '--db', db.url, '--host', 'live', '--wait', '30'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let queuedErr = '';
    queued.stderr.on('data', (d: Buffer) => (queuedErr += d.toString()));
    await sleep(700);
    queued.kill('SIGINT');
    const stoppedAt = Date.now();
    const [queuedCode] = await once(queued, 'exit');
    expect(Date.now() - stoppedAt).toBeLessThan(2000);
    expect(queuedCode).toBe(75);
    expect(queuedErr).toMatch(/stopped while waiting for the writer of host "live" to finish: nothing was written/);

    const shell = spawn('/bin/sh', ['-c', 'sleep 0.4; exit 3']);
    const shellExit = once(shell, 'exit');
    await sleep(150);
    const duringShell = nowNs();
    await sleep(700); // > one commit interval (250 ms) while the watch runs
    const liveStore = await openHistoryStore(db.url);
    try {
      const chain = (await ancestryAt(liveStore, { pid: shell.pid!, atNs: duringShell, host: 'live' })).chain.map((l) => l.pid);
      expect(chain.slice(0, 3)).toEqual([shell.pid, process.pid, process.ppid]);
    } finally {
      await liveStore.close();
    }
    expect((await shellExit)[0]).toBe(3);

    const done = await watching;
    expect(done.code, done.stderr).toBe(0);
    expect(done.stderr).toMatch(/overflows \(ENOBUFS\) 0; messages lost 0/);
    const store = await openHistoryStore(db.url);
    try {
      const [instance] = await store.read((r) => r.instancesOfPid('live', shell.pid!));
      expect(instance).toMatchObject({ exitCode: 3, endCertainty: 'observed', startKnown: true });
    } finally {
      await store.close();
    }
  }, 30_000);
});
