import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { runIngest } from '../../src/ingest/run-ingest.js';
import { EXIT_TEMPFAIL } from '../../src/ingest/writer-lock.js';
import { REPO_ROOT } from '../cli/cli-runner.js';
import { canonicalDump } from '../ingest/canonical-dump.js';

const MAIN = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
/** The first writer follows this real log (632 KB, read in well under a second, then it waits for growth). */
const LOG_A = join(REPO_ROOT, 'samples', 'auditd', 'busy-machine-rotation', 'logs', 'audit.log');
/** What a second writer tries to ingest meanwhile. */
const LOG_B = join(REPO_ROOT, 'samples', 'auditd', 'exec-chain', 'logs', 'audit.log');

const work = mkdtempSync(join(tmpdir(), 'proc-tree-writer-lock-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let cases = 0;
const caseDir = (): string => mkdtempSync(join(work, `case${++cases}-`));

interface Run {
  child: ChildProcess;
  stderr: () => string;
  done: Promise<{ code: number | null; stdout: string; stderr: string; ms: number }>;
}

/** The built CLI as a real process of its own. */
function cli(args: string[]): Run {
  const started = Date.now();
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string; ms: number }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started })),
  );
  return { child, stderr: () => stderr, done };
}

async function until(what: string, condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** `ingest --follow` of LOG_A into db, once it holds the lock and has committed processes. */
async function followingWriter(db: string): Promise<Run> {
  const first = cli(['ingest', '--follow', '--db', db, LOG_A]);
  await until('the follow to start writing', () => first.stderr().includes('following '));
  await until('committed rows', () => instanceCount(db) > 0);
  return first;
}

function instanceCount(db: string): number {
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

/** The same inputs ingested alone, one after the other, into a fresh database. */
async function soloDump(dir: string, ...logs: string[]): Promise<Record<string, string[]>> {
  const db = join(dir, 'solo.db');
  for (const log of logs) await runIngest({ db, inputs: [log] });
  return canonicalDump(db);
}

/** The refusal, with the first writer's pid and command line in it. */
function refusal(db: string, first: Run): RegExp {
  const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  return new RegExp(
    `^proc-tree (ingest|watch): ${esc(db)} is being written by pid ${first.child.pid} \\(proc-tree ingest --follow --db ${esc(db)} ${esc(LOG_A)}\\) since \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ; wait for it, or pass --wait \\[SECONDS\\] to queue behind it\\n$`,
  );
}

describe('one writer at a time, two real CLI processes on one real database file', () => {
  it('refuses ingest, ingest --follow and watch in one line with exit 75 while a follow writes, keeps readers working, and the follow ends with the database it makes alone', async () => {
    const dir = caseDir();
    const db = join(dir, 'h.db');
    const solo = soloDump(dir, LOG_A);
    const first = await followingWriter(db);
    const expected = refusal(db, first);

    const second = await Promise.all([
      cli(['ingest', '--db', db, LOG_B]).done,
      cli(['ingest', '--follow', '--db', db, LOG_B]).done,
      cli(['watch', '--db', db]).done,
    ]);
    for (const r of second) {
      expect(r.stderr).toMatch(expected);
      expect(r.code).toBe(EXIT_TEMPFAIL);
    }
    // --wait SECONDS gives up after that long, with the same line.
    const patient = await cli(['ingest', '--db', db, '--wait', '0.6', LOG_B]).done;
    expect(patient.stderr).toMatch(expected);
    expect(patient.code).toBe(EXIT_TEMPFAIL);
    expect(patient.ms).toBeGreaterThanOrEqual(600);

    // A query meanwhile reads what the follow committed.
    const reader = new Database(db, { readonly: true });
    const { pid } = reader.prepare('SELECT pid FROM instances WHERE start_known = 1 ORDER BY start_ns LIMIT 1').get() as { pid: number };
    reader.close();
    const timeline = await cli(['timeline', String(pid), '--db', db]).done;
    expect(timeline.code).toBe(0);
    expect(timeline.stdout).toContain(`pid ${pid}:`);

    first.child.kill('SIGINT');
    const stopped = await first.done;
    expect(stopped.code).toBe(0);
    expect(stopped.stderr).not.toMatch(/internal error|SqliteError|locked/);
    expect(canonicalDump(db)).toEqual(await solo);
  });

  it('--wait queues behind the writer and then ingests, to the same database as the two runs one after the other', async () => {
    const dir = caseDir();
    const db = join(dir, 'h.db');
    const solo = soloDump(dir, LOG_A, LOG_B);
    const first = await followingWriter(db);
    const queued = cli(['ingest', '--wait', '--db', db, LOG_B]);
    await new Promise((r) => setTimeout(r, 800));
    expect(queued.child.exitCode).toBeNull(); // still waiting, silently
    expect(queued.stderr()).toBe('');
    first.child.kill('SIGINT');
    expect((await first.done).code).toBe(0);
    const after = await queued.done;
    expect(after.stderr).not.toMatch(/internal error|SqliteError|being written/);
    expect(after.code).toBe(0);
    expect(canonicalDump(db)).toEqual(await solo);
  });

  it('takes over from a writer killed with kill -9, says so in one line, and completes to the same database', async () => {
    const dir = caseDir();
    const db = join(dir, 'h.db');
    const solo = soloDump(dir, LOG_A);
    const first = await followingWriter(db);
    first.child.kill('SIGKILL');
    await first.done;
    const next = await cli(['ingest', '--db', db, LOG_A]).done;
    expect(next.code).toBe(0);
    const notes = next.stderr.split('\n').filter((l) => l.startsWith('proc-tree ingest: note: took over'));
    expect(notes).toEqual([
      expect.stringContaining(`from pid ${first.child.pid} (proc-tree ingest --follow --db ${db} ${LOG_A}) since `),
    ]);
    expect(notes[0]).toContain(`pid ${first.child.pid} is no longer running`);
    expect(canonicalDump(db)).toEqual(await solo);
    // Released at the end: the next writer has nobody to take over from.
    expect((await cli(['ingest', '--db', db, LOG_A]).done).stderr).not.toMatch(/took over|being written/);
  });
});
