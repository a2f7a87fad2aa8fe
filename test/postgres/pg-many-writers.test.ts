import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { allocateHostId } from '../../src/history/postgres/pg-hosts.js';
import { PG_LOCK_CLASS } from '../../src/history/postgres/pg-schema.js';
import { runIngest } from '../../src/ingest/run-ingest.js';
import { freshDatabase, type TestDatabase } from '../support/postgres-database.js';
import { repoRoot } from '../support/truth.js';
import { pgCanonicalDump } from './pg-canonical-dump.js';

/** A capture without node= records: --host decides the host of every row. */
const log = join(repoRoot, 'samples', 'auditd', 'pid-reuse', 'logs');
const cli = join(repoRoot, 'dist', 'src', 'cli', 'main.js');
const databases: TestDatabase[] = [];
afterAll(async () => {
  for (const db of databases) await db.drop();
});

function ingestCli(url: string, host: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [cli, 'ingest', '--db', url, '--host', host, '--commit-every', '50', log], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => done({ code, stderr }));
  });
}

describe('many writers on one PostgreSQL history', () => {
  it('two CLI ingests of different hosts at once both succeed and store what they store alone', async () => {
    const together = await freshDatabase('together');
    const alone = await freshDatabase('alone');
    databases.push(together, alone);
    const [a, b] = await Promise.all([ingestCli(together.url, 'alpha'), ingestCli(together.url, 'beta')]);
    expect([a.code, b.code, a.stderr + b.stderr]).toEqual([0, 0, expect.not.stringContaining('internal error')]);
    await runIngest({ db: alone.url, inputs: [log], host: 'alpha' });
    await runIngest({ db: alone.url, inputs: [log], host: 'beta' });
    const want = await pgCanonicalDump(alone.url);
    expect(want.instances.some((r) => r.startsWith('alpha/'))).toBe(true);
    expect(want.instances.some((r) => r.startsWith('beta/'))).toBe(true);
    expect(await pgCanonicalDump(together.url)).toEqual(want);
  });

  it('refuses a second writer of the same host in one line with exit 75, naming the holder', async () => {
    const db = await freshDatabase('busy');
    databases.push(db);
    await runIngest({ db: db.url, inputs: [log], host: 'gamma' }); // schema and host exist
    const holder = await db.connect();
    try {
      const id = await allocateHostId(holder, 'gamma');
      await holder.query('SELECT pg_advisory_lock($1, $2)', [PG_LOCK_CLASS, id]);
      await holder.query("INSERT INTO writers(host_id, pid, command, client_host) VALUES ($1, 4242, 'proc-tree ingest other', 'h1') ON CONFLICT (host_id) DO UPDATE SET pid = 4242, command = excluded.command", [id]);
      const refused = await ingestCli(db.url, 'gamma');
      expect(refused.code).toBe(75);
      const lines = refused.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/host "gamma" is being written by pid 4242 .*proc-tree ingest other/);
      // Another host is not blocked meanwhile.
      expect((await ingestCli(db.url, 'delta')).code).toBe(0);
    } finally {
      await holder.end();
    }
  });
});
