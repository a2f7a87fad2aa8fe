import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.js';
import { openHistoryStore } from '../../src/history/open-history-store.js';

function io() {
  const stderr = new PassThrough();
  let err = '';
  stderr.on('data', (d) => (err += d));
  return { io: { stdout: new PassThrough(), stderr, stdin: new PassThrough() }, err: () => err };
}

describe('proc-tree watch', () => {
  it('rejects an unknown option with a usage error', async () => {
    const t = io();
    expect(await runCli(['watch', '--bogus'], t.io)).toBe(2);
  });

  it('stores a real process started while it runs, with its parent and exit code', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'pc-watch-cli-')), 'w.db');
    const t = io();
    const running = runCli(['watch', '--db', db, '--duration', '1.5'], t.io);
    await new Promise((r) => setTimeout(r, 500));
    const child = spawn('/bin/sh', ['-c', 'sleep 0.2; exit 5']);
    await once(child, 'exit');
    expect(await running).toBe(0);
    expect(t.err()).toMatch(/messages lost 0/);
    const store = await openHistoryStore(db);
    try {
      const [instance] = await store.read((r) => r.instancesOfPid('', child.pid!));
      expect(instance).toMatchObject({ exitCode: 5, startKnown: true });
      expect(await store.read((r) => r.parentAt(instance!.id, instance!.startNs))).toMatchObject({ ppid: process.pid });
    } finally {
      await store.close();
    }
  });

  it('leaves a self-contained database after a clean stop (rollback journal, no -wal/-shm beside it)', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'pc-watch-cli-')), 'w.db');
    expect(await runCli(['watch', '--db', db, '--duration', '0.5'], io().io)).toBe(0);
    // File header bytes 18-19: 1 = rollback journal, 2 = WAL (which a reader in a
    // write-protected directory cannot open).
    expect([...readFileSync(db).subarray(18, 20)]).toEqual([1, 1]);
    expect(readdirSync(dirname(db))).toEqual(['w.db']);
  });
});
