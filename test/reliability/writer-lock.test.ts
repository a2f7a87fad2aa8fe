import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { ProcTreeCli } from '../../bench/harness/proc-tree-cli.js';
import { CliProcess } from '../../bench/reliability/cli-process.js';
import { followingWriter, pipedWriter, writerRefusal } from '../../bench/reliability/two-writers.js';
import { runIngest } from '../../src/ingest/run-ingest.js';
import { EXIT_TEMPFAIL } from '../../src/ingest/writer-lock.js';
import { REPO_ROOT } from '../cli/cli-runner.js';
import { canonicalDump } from '../ingest/canonical-dump.js';

/** The first writer follows this real log (632 KB, read in well under a second, then it waits for growth). */
const LOG_A = join(REPO_ROOT, 'samples', 'auditd', 'busy-machine-rotation', 'logs', 'audit.log');
/** What a second writer tries to ingest meanwhile. */
const LOG_B = join(REPO_ROOT, 'samples', 'auditd', 'exec-chain', 'logs', 'audit.log');

const work = mkdtempSync(join(tmpdir(), 'proc-tree-writer-lock-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let cases = 0;
const caseDir = (): string => mkdtempSync(join(work, `case${++cases}-`));

const proctree = new ProcTreeCli(REPO_ROOT);
/** The built CLI as a real process of its own. */
const cli = (args: string[]): CliProcess => new CliProcess(proctree, args);

/** The same inputs ingested alone, one after the other, into a fresh database. */
async function soloDump(dir: string, ...logs: string[]): Promise<Record<string, string[]>> {
  const db = join(dir, 'solo.db');
  for (const log of logs) await runIngest({ db, inputs: [log] });
  return canonicalDump(db);
}

/** The built CLI with a file on its stdin. */
async function runCliWithStdin(args: string[], file: string): Promise<{ code: number; stderr: string }> {
  const p = new CliProcess(proctree, args, { stdin: 'pipe' });
  await p.write(readFileSync(file));
  p.endInput();
  return p.done;
}

describe('one writer at a time, two real CLI processes on one real database file', () => {
  it('refuses ingest, ingest --follow and watch in one line with exit 75 while a follow writes, keeps readers working, and the follow ends with the database it makes alone', async () => {
    const dir = caseDir();
    const db = join(dir, 'h.db');
    const solo = soloDump(dir, LOG_A);
    const first = await followingWriter(proctree, db, LOG_A);
    const expected = writerRefusal(db, await first.process.pid(), ['ingest', '--follow', '--db', db, LOG_A]);

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

    const stopped = await first.process.signal('SIGINT');
    expect(stopped.code).toBe(0);
    expect(stopped.stderr).not.toMatch(/internal error|SqliteError|locked/);
    expect(canonicalDump(db)).toEqual(await solo);
  });

  it('--wait queues behind the writer and then ingests, to the same database as the two runs one after the other', async () => {
    const dir = caseDir();
    const db = join(dir, 'h.db');
    const solo = soloDump(dir, LOG_A, LOG_B);
    const first = await followingWriter(proctree, db, LOG_A);
    const queued = cli(['ingest', '--wait', '--db', db, LOG_B]);
    await new Promise((r) => setTimeout(r, 800));
    expect(queued.running()).toBe(true); // still waiting, silently
    expect(queued.stderr()).toBe('');
    expect((await first.process.signal('SIGINT')).code).toBe(0);
    const after = await queued.done;
    expect(after.stderr).not.toMatch(/internal error|SqliteError|being written/);
    expect(after.code).toBe(0);
    expect(canonicalDump(db)).toEqual(await solo);
  });

  it('takes over from a writer killed with kill -9, says so in one line, and completes to the same database', async () => {
    const dir = caseDir();
    const db = join(dir, 'h.db');
    const solo = soloDump(dir, LOG_A);
    const first = await followingWriter(proctree, db, LOG_A);
    const holderPid = await first.process.pid();
    await first.process.signal('SIGKILL');
    const next = await cli(['ingest', '--db', db, LOG_A]).done;
    expect(next.code).toBe(0);
    const notes = next.stderr.split('\n').filter((l) => l.startsWith('proc-tree ingest: note: took over'));
    expect(notes).toEqual([
      expect.stringContaining(`from pid ${holderPid} (proc-tree ingest --follow --db ${db} ${LOG_A}) since `),
    ]);
    expect(notes[0]).toContain(`pid ${holderPid} is no longer running`);
    expect(canonicalDump(db)).toEqual(await solo);
    // Released at the end: the next writer has nobody to take over from.
    expect((await cli(['ingest', '--db', db, LOG_A]).done).stderr).not.toMatch(/took over|being written/);
  });

  it('refuses a second plain ingest while a first one reads a pipe, and the first ends with the database of the same pipe read alone', async () => {
    const dir = caseDir();
    const db = join(dir, 'h.db');
    const solo = join(dir, 'solo.db');
    // The same bytes through stdin alone: evidence cites '-' in both.
    const alone = await runCliWithStdin(['ingest', '--commit-every', '300', '--db', solo, '-'], LOG_A);
    expect(alone.code).toBe(0);
    const first = await pipedWriter(proctree, db, LOG_A, 300_000);
    const second = await cli(['ingest', '--db', db, LOG_B]).done;
    expect(second.stderr).toMatch(writerRefusal(db, await first.process.pid(), ['ingest', '--commit-every', '300', '--db', db, '-']));
    expect(second.code).toBe(EXIT_TEMPFAIL);
    await first.finish();
    const ended = await first.process.done;
    expect(ended.stderr).not.toMatch(/internal error|SqliteError|locked/);
    expect(ended.code).toBe(0);
    expect(canonicalDump(db)).toEqual(canonicalDump(solo));
  });
});
