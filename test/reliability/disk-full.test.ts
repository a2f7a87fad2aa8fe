import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ProcTreeCli } from '../../bench/harness/proc-tree-cli.js';
import { CANNOT_READ_LINE, DISK_FULL_LINE, diskFullTrial } from '../../bench/reliability/disk-full.js';
import { runIngest } from '../../src/ingest/run-ingest.js';
import { EXIT_IOERR } from '../../src/ingest/writer-lock-errors.js';
import { REPO_ROOT } from '../cli/cli-runner.js';
import { canonicalDump } from '../ingest/canonical-dump.js';

const LOGS = join(REPO_ROOT, 'samples', 'auditd', 'busy-machine-rotation', 'logs');
const work = mkdtempSync(join(tmpdir(), 'proc-tree-disk-full-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const cli = new ProcTreeCli(REPO_ROOT);

// The sample's history is about 225 KB: the sizes run out of room while creating the file
// (16k: -shm cannot grow), mid-ingest (200k, 300k: a commit or its rollback fails) and
// at the final checkpoint that folds -wal into the file (400k). `npm run reliability --
// --only disk-full` sweeps twelve sizes.
const SIZES_KIB = [16, 200, 300, 400];

describe('ingest into a file system that fills up (a real tmpfs; needs root, as CI runs)', () => {
  it.each(SIZES_KIB)('%i KiB: one line, exit 74, a database that answers queries, and a re-run after space is freed ends with the uninterrupted dump', async (kib) => {
    if (process.getuid?.() !== 0) throw new Error('this test mounts a tmpfs: run the suite as root (CI does)');
    const solo = join(work, `solo-${kib}.db`);
    await runIngest({ db: solo, inputs: [LOGS] });
    const t = await diskFullTrial(cli, work, [LOGS], kib, JSON.stringify(canonicalDump(solo)));

    expect(t.first.stderrTail).toMatch(DISK_FULL_LINE);
    expect(t.first.stderrTail).not.toMatch(/internal error|    at /);
    expect(t.first.exitCode).toBe(EXIT_IOERR);

    expect(t.query.stderrTail).not.toMatch(/internal error|not a SQLite|malformed|    at /);
    if (t.stored === 'unreadable') {
      // A WAL file whose -shm cannot be made is not readable on this disk: the query says so.
      expect(t.query.stderrTail).toMatch(CANNOT_READ_LINE);
      expect(t.query.exitCode).toBe(1);
    } else if (t.stored !== undefined) {
      expect(t.query.exitCode).toBe(0);
      expect(t.query.stdout).toContain(`pid ${t.stored}:`);
    }

    expect(t.again.stderrTail).not.toMatch(/internal error|disk is full/);
    expect(t.again.exitCode).toBe(0);
    expect(t.dumpEqual).toBe(true);
  });
});
