import { spawn } from 'node:child_process';
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIngest } from '../../src/ingest/run-ingest.js';
import { canonicalDump } from '../ingest/canonical-dump.js';
import { freshDatabase, type TestDatabase } from '../support/postgres-database.js';
import { repoRoot } from '../support/truth.js';
import { pgCanonicalDump } from './pg-canonical-dump.js';

const auditd = join(repoRoot, 'samples', 'auditd');
const connector = join(repoRoot, 'samples', 'proc-connector');
/** Every real capture: auditd log directories and proc-connector captures. */
const samples = [
  ...readdirSync(auditd, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => ({ name: d.name, input: join(auditd, d.name, 'logs') })),
  ...readdirSync(connector).filter((f) => f.endsWith('.cap')).map((f) => ({ name: f, input: join(connector, f) })),
];

let dir: string;
const databases: TestDatabase[] = [];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'proc-tree-pg-ingest-'));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  for (const db of databases) await db.drop();
});

async function pgDatabase(prefix: string): Promise<TestDatabase> {
  const db = await freshDatabase(prefix);
  databases.push(db);
  return db;
}

describe('ingest into PostgreSQL', () => {
  it('finds the real captures', () => {
    expect(samples.length).toBeGreaterThanOrEqual(15);
  });

  it.each(samples)('stores the same history as SQLite: $name', async ({ name, input }) => {
    const sqlite = join(dir, `${name}.db`);
    const reference = await runIngest({ db: sqlite, inputs: [input] });
    const want = canonicalDump(sqlite);
    expect(want.instances.length).toBeGreaterThan(0);
    // About 8 batches: rows of earlier commits get their ends, fork starts and reparents as
    // UPDATEs (the paths a single batch never takes); a re-run then adds nothing. A
    // connector capture is one transaction whatever the interval.
    const batched = await pgDatabase('batched');
    const every = Math.max(20, Math.ceil(reference.lines / 8));
    const first = await runIngest({ db: batched.url, inputs: [input], commitEveryLines: every });
    if (!name.endsWith('.cap')) expect(first.commits).toBeGreaterThan(4);
    expect(await pgCanonicalDump(batched.url)).toEqual(want);
    const again = await runIngest({ db: batched.url, inputs: [input], commitEveryLines: every });
    expect(again.inputs.every((r) => r.status === 'already-ingested')).toBe(true);
    expect(await pgCanonicalDump(batched.url)).toEqual(want);
  });

  it('continues an appended log where it stopped, like SQLite', async () => {
    const whole = readFileSync(join(auditd, 'busy-machine-rotation', 'logs', 'audit.log'));
    const cut = whole.indexOf('\n', Math.floor(whole.length / 2)) + 1;
    const growing = join(dir, 'growing.log');
    writeFileSync(growing, whole.subarray(0, cut));
    const pg = await pgDatabase('append');
    await runIngest({ db: pg.url, inputs: [growing], commitEveryLines: 500 });
    appendFileSync(growing, whole.subarray(cut));
    const second = await runIngest({ db: pg.url, inputs: [growing], commitEveryLines: 500 });
    expect(second.inputs[0]!.status).toBe('resumed');
    expect(second.inputs[0]!.fromOffset).toBeGreaterThan(0);
    const reference = join(dir, 'growing.db');
    await runIngest({ db: reference, inputs: [growing] });
    expect(await pgCanonicalDump(pg.url)).toEqual(canonicalDump(reference));
  });

  it('loses nothing when the CLI is killed with SIGKILL mid-run, and a re-run ends like an uninterrupted run', async () => {
    const logs = join(auditd, 'busy-machine-rotation', 'logs');
    const input = join(dir, 'busy');
    mkdirSync(input);
    for (const f of readdirSync(logs)) copyFileSync(join(logs, f), join(input, f));
    const reference = join(dir, 'busy.db');
    await runIngest({ db: reference, inputs: [input] });

    const pg = await pgDatabase('killed');
    const cli = join(repoRoot, 'dist', 'src', 'cli', 'main.js');
    const child = spawn(process.execPath, [cli, 'ingest', '--db', pg.url, '--commit-every', '300', input], { stdio: 'ignore' });
    const exited = new Promise<void>((done) => child.on('exit', () => done()));
    const client = await pg.connect();
    let killed = false;
    try {
      for (let i = 0; i < 3000 && child.exitCode === null; i++) {
        await new Promise((r) => setTimeout(r, 5));
        const { rows } = await client.query("SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'instances'");
        if (rows[0].n === 0) continue;
        const committed = await client.query('SELECT count(*)::int AS n FROM instances');
        if (committed.rows[0].n > 0) {
          killed = child.kill('SIGKILL');
          break;
        }
      }
      await exited;
      const incomplete = await client.query('SELECT count(*)::int AS n FROM sources WHERE NOT complete');
      expect(killed && incomplete.rows[0].n > 0).toBe(true);
    } finally {
      await client.end();
    }
    const rerun = await runIngest({ db: pg.url, inputs: [input], commitEveryLines: 300 });
    expect(rerun.alreadyStored).toBeGreaterThan(0);
    expect(await pgCanonicalDump(pg.url)).toEqual(canonicalDump(reference));
  }, 120_000);
});
