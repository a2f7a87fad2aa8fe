/**
 * libpq's PG* variables name the history when no --db (and no PROC_TREE_DB) is given: the
 * writers (ingest) and the readers (queries, export) then use the same PostgreSQL database,
 * and nothing is written to ./proc-tree.db.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../cli/cli-runner.js';
import { freshDatabase, type TestDatabase } from '../support/postgres-database.js';
import { listAuditdCaptures } from '../support/truth.js';
import { seconds } from './row-id-neutral.js';

const MAIN = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
let db: TestDatabase;
let cwd: string;

beforeAll(async () => {
  db = await freshDatabase('pg_env');
  cwd = mkdtempSync(join(tmpdir(), 'proc-tree-pg-env-'));
});
afterAll(async () => {
  await db.drop();
  rmSync(cwd, { recursive: true, force: true });
});

/** The CLI in `cwd` with `env` instead of the test's own environment's database settings. */
function cli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PG') && k !== 'PROC_TREE_DB'));
  return new Promise((done) => {
    execFile(process.execPath, [MAIN, ...args], { cwd, env: { ...base, ...env }, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      done({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr });
    });
  });
}

describe('PG* variables as the history', () => {
  it('ingest writes there and every query reads there, as with --db URL', async () => {
    const capture = listAuditdCaptures().find((c) => c.meta.name === 'daemon-double-fork')!;
    const u = new URL(db.url);
    const env = { PGHOST: u.hostname, PGPORT: u.port, PGUSER: decodeURIComponent(u.username), PGDATABASE: u.pathname.slice(1) };
    const ingest = await cli(['ingest', capture.logDir], env);
    expect(ingest.code, ingest.stderr).toBe(0);
    expect(existsSync(join(cwd, 'proc-tree.db'))).toBe(false);
    const p = capture.truth.probes.at(-1)!;
    for (const args of [['ancestry', String(p.pid), '--at', seconds(p.atNs)], ['export', '--format', 'csv'], ['timeline', String(p.pid)]]) {
      const viaEnv = await cli(args, env);
      const viaUrl = await cli([...args, '--db', db.url], {});
      expect(viaEnv.code, viaEnv.stderr).toBe(0);
      expect(viaEnv.stdout).toBe(viaUrl.stdout);
    }
    // A second ingest through the variables adds nothing: the same history, resumed.
    const again = await cli(['ingest', capture.logDir, '--json'], env);
    expect(again.code).toBe(0);
    const summary = JSON.parse(again.stdout) as { bytes: number; builder: { instancesOpened: number } };
    expect(summary.bytes).toBe(0);
    expect(summary.builder.instancesOpened).toBe(0);
    expect(existsSync(join(cwd, 'proc-tree.db'))).toBe(false);
  });
});
