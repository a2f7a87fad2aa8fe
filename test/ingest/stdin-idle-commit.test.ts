/**
 * `tail -f audit.log | proc-tree ingest -`: a pipe that goes quiet must not hold what it sent
 * uncommitted until more input or the end (the reliability writer-lock case met it: a log
 * fed through a pipe committed nothing until EOF). After a second of quiet, the events the
 * reassembler still holds open are emitted and everything is committed, as `--follow` does
 * (idle-commit.ts): every instance is queryable by another process while the pipe stays
 * open. Measured before: 282 of the 371 instances; the 89 in the open window waited for
 * more input or the end. The run still ends with the history a closed pipe gives.
 * Real capture: samples/auditd/busy-machine-rotation (632 KB).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../cli/cli-runner.js';
import { canonicalDump } from './canonical-dump.js';

const MAIN = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
const LOG = join(REPO_ROOT, 'samples', 'auditd', 'busy-machine-rotation', 'logs', 'audit.log');
const dir = mkdtempSync(join(tmpdir(), 'proc-tree-stdin-idle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function committedInstances(db: string): number {
  try {
    const reader = new Database(db, { readonly: true, fileMustExist: true });
    try {
      return (reader.prepare('SELECT count(*) AS n FROM instances').get() as { n: number }).n;
    } finally {
      reader.close();
    }
  } catch {
    return 0; // not created or not migrated yet
  }
}

describe('ingest - from a pipe that goes quiet', () => {
  it('commits every event it read after a second of quiet, while the pipe stays open, and ends like a closed pipe', async () => {
    const closed = join(dir, 'closed.db');
    const atOnce = spawnSync(process.execPath, [MAIN, 'ingest', '--db', closed, '-'], { input: readFileSync(LOG) });
    expect(atOnce.status).toBe(0);
    const all = committedInstances(closed);
    expect(all).toBeGreaterThan(0);
    const fromFile = join(dir, 'file.db');
    expect(spawnSync(process.execPath, [MAIN, 'ingest', '--db', fromFile, LOG]).status).toBe(0);
    expect(committedInstances(fromFile)).toBe(all);

    const db = join(dir, 'quiet.db');
    const child = spawn(process.execPath, [MAIN, 'ingest', '--db', db, '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    child.stdin.write(readFileSync(LOG));
    let seen = 0;
    for (let waited = 0; waited < 15_000 && seen < all; waited += 100) {
      await sleep(100);
      seen = committedInstances(db);
    }
    const stillOpen = child.exitCode === null;
    child.stdin.end();
    expect(await exited).toBe(0);
    expect(stillOpen).toBe(true);
    expect(seen).toBe(all);
    expect(canonicalDump(db)).toEqual(canonicalDump(closed));
  }, 30_000);
});
