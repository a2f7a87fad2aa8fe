/**
 * A plain ingest into PostgreSQL stopped by SIGINT (Ctrl-C): the same contract as SQLite's
 * (test/reliability/ingest-sigint.test.ts): committed up to a resume point, the stopped line,
 * exit 130, and the same command run again ends with the history of an uninterrupted ingest.
 * Real capture: samples/auditd/busy-machine-rotation/logs/audit.log under 30 node= host
 * names (19 MB, test/support/many-hosts.ts), long enough to be stopped inside it; a try that
 * ended before the signal landed proves nothing and is run again (at most 8).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../cli/cli-runner.js';
import { freshDatabase, withClient, type TestDatabase } from '../support/postgres-database.js';
import { pgCanonicalDump } from './pg-canonical-dump.js';
import { manyHosts } from '../support/many-hosts.js';

const MAIN = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
const CAPTURE = join(REPO_ROOT, 'samples', 'auditd', 'busy-machine-rotation', 'logs', 'audit.log');
const work = mkdtempSync(join(tmpdir(), 'proc-tree-pg-ingest-sigint-'));
const databases: TestDatabase[] = [];
afterAll(async () => {
  rmSync(work, { recursive: true, force: true });
  for (const db of databases) await db.drop();
});

async function instances(url: string): Promise<number> {
  try {
    return await withClient(url, async (c) => Number((await c.query('SELECT count(*) AS v FROM instances')).rows[0]?.v ?? 0));
  } catch {
    return 0; // no schema yet
  }
}

describe('plain ingest into PostgreSQL stopped by SIGINT', () => {
  it('exits 130 with the stopped line; the re-run continues to the uninterrupted history', async () => {
    const log = join(work, 'audit.log.1');
    writeFileSync(log, manyHosts(CAPTURE, 30));
    const ref = await freshDatabase('sigint_ref');
    databases.push(ref);
    const plain = spawnSync(process.execPath, [MAIN, 'ingest', '--db', ref.url, log], { encoding: 'utf8' });
    expect(plain.status, plain.stderr).toBe(0);

    let db = ref;
    let stderr = '';
    let signalled = false;
    let code: number | null = 0;
    for (let t = 0; t < 8 && code === 0; t++) {
      db = await freshDatabase('sigint');
      databases.push(db);
      const child = spawn(process.execPath, [MAIN, 'ingest', '--db', db.url, '--commit-every', '20000', log], { stdio: ['ignore', 'ignore', 'pipe'] });
      stderr = '';
      child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
      const exited = new Promise<number | null>((r) => child.on('close', (c) => r(c)));
      signalled = false;
      for (let i = 0; i < 1000 && child.exitCode === null && !signalled; i++) {
        await new Promise((r) => setTimeout(r, 10));
        if ((await instances(db.url)) > 0) signalled = child.kill('SIGINT');
      }
      code = await exited;
    }
    expect(signalled).toBe(true);
    expect(code, stderr).toBe(130);
    const m = /^proc-tree ingest: stopped by SIGINT: read (\d+) of (\d+) bytes of \S+; run the same command again to continue$/m.exec(stderr);
    expect(m, stderr).not.toBeNull();
    expect(Number(m![1])).toBeLessThan(Number(m![2]));

    const again = spawnSync(process.execPath, [MAIN, 'ingest', '--db', db.url, log], { encoding: 'utf8' });
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/resumed from byte [1-9]/);
    expect(await pgCanonicalDump(db.url)).toEqual(await pgCanonicalDump(ref.url));
  }, 60_000);
});
