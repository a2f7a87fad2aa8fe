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
const full = join(work, 'tmpfs');
let mounted = false;
afterAll(() => {
  if (mounted) execFileSync('umount', [full]);
  rmSync(work, { recursive: true, force: true });
});

const cli = (args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });

describe('ingest into a file system that fills up (a real 200 KiB tmpfs; needs root, as CI runs)', () => {
  it('says so in one line, exits 74, keeps a database that answers queries, and a re-run after space is freed ends with the uninterrupted dump', async () => {
    if (process.getuid?.() !== 0) throw new Error('this test mounts a tmpfs: run the suite as root (CI does)');
    execFileSync('mkdir', ['-p', full]);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=200k', 'tmpfs', full]);
    mounted = true;
    const db = join(full, 'h.db');
    const first = cli(['ingest', '--commit-every', '300', '--db', db, LOGS]);
    expect(first.stderr).toMatch(/^proc-tree ingest: .*h\.db: the disk is full \(.*\): what was committed before is kept and can be queried; free some space, then run the same command again to continue from there\n$/);
    expect(first.status).toBe(EXIT_IOERR);

    const reader = new Database(db, { readonly: true });
    const some = reader.prepare('SELECT pid FROM instances ORDER BY id LIMIT 1').get() as { pid: number } | undefined;
    reader.close();
    const query = some === undefined ? cli(['find', '--cmd', 'sh', '--db', db]) : cli(['timeline', String(some.pid), '--db', db]);
    expect(query.stderr).not.toMatch(/internal error|not a SQLite|malformed/);
    if (some !== undefined) {
      expect(query.status).toBe(0);
      expect(query.stdout).toContain(`pid ${some.pid}:`);
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
