/**
 * A plain `proc-tree ingest` stopped by SIGINT (Ctrl-C) or SIGTERM stops cleanly: it commits
 * up to a resume point, leaves the SQLite file self-contained (no -wal/-shm), gives up its
 * writer lock, says where it stopped and exits 130 / 143; the same command run again
 * continues and ends with the history an uninterrupted ingest builds. Before: the signal
 * killed it like a crash (exit 130 from the signal, nothing said, -wal/-shm left, the re-run
 * "took over ... from pid N ... no longer running").
 * Real logs: two rotated 84 MB audit logs of a busy machine (/work/realdata/real-enriched-200,
 * or PROC_TREE_REAL_LOGS), copied as a directory; about 1 s each to ingest.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../cli/cli-runner.js';
import { canonicalDump } from '../ingest/canonical-dump.js';

const MAIN = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
const REAL = process.env.PROC_TREE_REAL_LOGS ?? '/work/realdata/real-enriched-200';
const LOGS = ['audit.log.2', 'audit.log.1'];
const present = LOGS.every((f) => existsSync(join(REAL, f)));
const dir = mkdtempSync(join(tmpdir(), 'proc-tree-ingest-sigint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function countOf(db: string, sql: string): number {
  const reader = new Database(db, { readonly: true, fileMustExist: true });
  try {
    return (reader.prepare(sql).get() as { n: number }).n;
  } finally {
    reader.close();
  }
}

/** Runs ingest, sends `signal` once more than `before` instances are committed in `db`, and returns how it ended. */
async function stopOnceCommitted(db: string, input: string, signal: NodeJS.Signals, before = 0): Promise<{ code: number | null; stderr: string; signalled: boolean }> {
  const child = spawn(process.execPath, [MAIN, 'ingest', '--db', db, '--commit-every', '20000', input], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  let signalled = false;
  for (let i = 0; i < 2000 && child.exitCode === null; i++) {
    await new Promise((r) => setTimeout(r, 5));
    try {
      if (countOf(db, 'SELECT count(*) AS n FROM instances') > before) {
        signalled = child.kill(signal);
        break;
      }
    } catch {
      // not created or not migrated yet
    }
  }
  return { code: await exited, stderr, signalled };
}

const STOPPED = /^proc-tree ingest: stopped by (SIGINT|SIGTERM): read (\d+) of (\d+) bytes of (\S+); run the same command again to continue$/m;

describe.skipIf(!present)(`ingest of ${REAL} stopped by a signal`, () => {
  it('SIGINT and SIGTERM: commit, no -wal/-shm, lock released, 130/143, and the re-run ends with the uninterrupted history', async () => {
    const input = join(dir, 'real');
    mkdirSync(input);
    for (const f of LOGS) copyFileSync(join(REAL, f), join(input, f));
    const ref = join(dir, 'ref.db');
    const plain = spawnSync(process.execPath, [MAIN, 'ingest', '--db', ref, input], { encoding: 'utf8' });
    expect(plain.status, plain.stderr).toBe(0);

    const db = join(dir, 'int.db');
    const first = await stopOnceCommitted(db, input, 'SIGINT');
    expect(first.signalled).toBe(true);
    expect(first.code, first.stderr).toBe(130);
    const m = STOPPED.exec(first.stderr);
    expect(m, first.stderr).not.toBeNull();
    expect(m![1]).toBe('SIGINT');
    // Really cut short: stopped inside a log, which is not marked complete.
    expect(Number(m![2])).toBeLessThan(Number(m![3]));
    expect(countOf(db, 'SELECT count(*) AS n FROM sources WHERE complete = 0')).toBeGreaterThan(0);
    expect(first.stderr).toMatch(/^ingested \d+ input\(s\):/m); // the usual summary too
    expect(existsSync(`${db}-wal`) || existsSync(`${db}-shm`)).toBe(false);
    expect(countOf(db, "SELECT count(*) AS n FROM resume_state WHERE key = 'writer.lock'")).toBe(0);

    // The re-run continues where it stopped; SIGTERM stops it the same way (143).
    const second = await stopOnceCommitted(db, input, 'SIGTERM', countOf(db, 'SELECT count(*) AS n FROM instances'));
    expect(second.stderr).not.toMatch(/took over/);
    if (second.code !== 0) {
      expect(second.code, second.stderr).toBe(143);
      expect(STOPPED.exec(second.stderr)?.[1], second.stderr).toBe('SIGTERM');
      expect(existsSync(`${db}-wal`) || existsSync(`${db}-shm`)).toBe(false);
    }

    const last = spawnSync(process.execPath, [MAIN, 'ingest', '--db', db, input], { encoding: 'utf8' });
    expect(last.status, last.stderr).toBe(0);
    expect(last.stderr).not.toMatch(/took over/);
    expect(canonicalDump(db)).toEqual(canonicalDump(ref));
  }, 30_000);
});
