import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { runIngest } from '../../src/ingest/run-ingest.js';
import { EXIT_IOERR } from '../../src/ingest/writer-lock-errors.js';
import { REPO_ROOT } from '../cli/cli-runner.js';
import { canonicalDump } from '../ingest/canonical-dump.js';

const MAIN = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
const LOGS = join(REPO_ROOT, 'samples', 'auditd', 'busy-machine-rotation', 'logs');
const work = mkdtempSync(join(tmpdir(), 'proc-tree-disk-full-'));
const mounted: string[] = [];
afterAll(() => {
  for (const dir of mounted) execFileSync('umount', [dir]);
  rmSync(work, { recursive: true, force: true });
});

const cli = (args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });

// The sample's history is about 225 KB: the sizes run out of room while creating the file
// (16k: -shm cannot grow), mid-ingest (200k, 300k: a commit or its rollback fails) and
// at the final checkpoint that folds -wal into the file (400k).
const SIZES_KIB = [16, 200, 300, 400];

describe('ingest into a file system that fills up (a real tmpfs; needs root, as CI runs)', () => {
  it.each(SIZES_KIB)('%i KiB: one line, exit 74, a database that answers queries, and a re-run after space is freed ends with the uninterrupted dump', async (kib) => {
    if (process.getuid?.() !== 0) throw new Error('this test mounts a tmpfs: run the suite as root (CI does)');
    const full = join(work, `tmpfs-${kib}`);
    execFileSync('mkdir', ['-p', full]);
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${kib}k`, 'tmpfs', full]);
    mounted.push(full);
    const db = join(full, 'h.db');
    const first = cli(['ingest', '--commit-every', '300', '--db', db, LOGS]);
    expect(first.stderr).toMatch(/^proc-tree ingest: [^\n]*h\.db[^\n]*the disk is full \([^\n]*free some space, then run the same command again[^\n]*\n$/);
    expect(first.stderr).not.toMatch(/internal error|    at /);
    expect(first.status).toBe(EXIT_IOERR);

    const some = firstPid(db);
    const query = typeof some === 'number' ? cli(['timeline', String(some), '--db', db]) : cli(['find', '--cmd', 'sh', '--db', db]);
    expect(query.stderr).not.toMatch(/internal error|not a SQLite|malformed|    at /);
    if (some === 'unreadable') {
      // A WAL file whose -shm cannot be made is not readable on this disk: the query says so.
      expect(query.stderr).toMatch(/^proc-tree \w+: cannot read [^\n]*free some space[^\n]*\n$/);
      expect(query.status).toBe(1);
    } else if (some !== undefined) {
      expect(query.status).toBe(0);
      expect(query.stdout).toContain(`pid ${some}:`);
    }

    execFileSync('mount', ['-o', 'remount,size=8m', full]);
    const again = cli(['ingest', '--db', db, LOGS]);
    expect(again.stderr).not.toMatch(/internal error|disk is full/);
    expect(again.status).toBe(0);
    const solo = join(work, 'solo.db');
    await runIngest({ db: solo, inputs: [LOGS] });
    expect(canonicalDump(db)).toEqual(canonicalDump(solo));
  });
});

/** The first pid stored, undefined when none, 'unreadable' when SQLite cannot read the file on this disk. */
function firstPid(db: string): number | 'unreadable' | undefined {
  let reader: Database.Database | undefined;
  try {
    reader = new Database(db, { readonly: true });
    return (reader.prepare('SELECT pid FROM instances ORDER BY id LIMIT 1').get() as { pid: number } | undefined)?.pid;
  } catch (error) {
    if (String((error as { code?: unknown }).code).startsWith('SQLITE_IOERR')) return 'unreadable';
    throw error;
  } finally {
    reader?.close();
  }
}
