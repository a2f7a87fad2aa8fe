/**
 * A plain `proc-tree ingest` stopped by SIGINT (Ctrl-C) or SIGTERM stops cleanly: it commits
 * up to a resume point, leaves the SQLite file self-contained (no -wal/-shm), gives up its
 * writer lock, says where it stopped and exits 130 / 143; the same command run again
 * continues and ends with the history an uninterrupted ingest builds. Before: the signal
 * killed it like a crash (exit 130 from the signal, nothing said, -wal/-shm left, the re-run
 * "took over ... from pid N ... no longer running").
 * Real capture: samples/auditd/busy-machine-rotation/logs (3 rotated generations, 0.7 MB),
 * its lines repeated under 30 `node=` host names (21 MB, as 30 machines' logs collected in
 * one place) so an ingest lasts long enough to be stopped inside it; a try that ended before
 * the signal landed proves nothing and is run again (a fresh database, at most 8 tries).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../cli/cli-runner.js';
import { canonicalDump } from '../ingest/canonical-dump.js';
import { manyHosts } from '../support/many-hosts.js';

const MAIN = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
const CAPTURE = join(REPO_ROOT, 'samples', 'auditd', 'busy-machine-rotation', 'logs');
const LOGS = ['audit.log.2', 'audit.log.1', 'audit.log'];
const COMMIT_EVERY = '20000';
const HOSTS = 30;

const TRIES = 8;
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

/** The furthest resume point committed in `db` (0 before the first commit past the start). */
const RESUME_SQL = 'SELECT coalesce(max(committed_offset), 0) AS n FROM sources';

/** Runs ingest, sends `signal` once a resume point past `before` is committed in `db` (rows too), and returns how it ended. */
async function stopOnceCommitted(db: string, input: string, signal: NodeJS.Signals, before = 0, stdinFile?: string): Promise<{ code: number | null; stderr: string; signalled: boolean }> {
  const child = spawn(process.execPath, [MAIN, 'ingest', '--db', db, '--commit-every', COMMIT_EVERY, ...(stdinFile !== undefined ? ['--source-name', stdinFile] : []), input], {
    stdio: [stdinFile === undefined ? 'ignore' : 'pipe', 'ignore', 'pipe'],
  });
  if (stdinFile !== undefined) void feed(stdinFile, child.stdin!);
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  let signalled = false;
  for (let i = 0; i < 2000 && child.exitCode === null; i++) {
    await new Promise((r) => setTimeout(r, 5));
    try {
      if (countOf(db, RESUME_SQL) > before) {
        signalled = child.kill(signal);
        break;
      }
    } catch {
      // not created or not migrated yet
    }
  }
  return { code: await exited, stderr, signalled };
}

async function feed(file: string, to: NodeJS.WritableStream): Promise<void> {
  to.on('error', () => undefined); // the stopped ingest closes its stdin
  to.end(readFileSync(file));
}

/** stopOnceCommitted until the signal landed mid-ingest (exit not 0), each try on a fresh `db`. */
async function stopMidIngest(db: string, input: string, signal: NodeJS.Signals, stdinFile?: string): Promise<{ code: number | null; stderr: string; signalled: boolean }> {
  let last = { code: null as number | null, stderr: '', signalled: false };
  for (let i = 0; i < TRIES; i++) {
    for (const f of [db, `${db}-wal`, `${db}-shm`, `${db}-journal`]) rmSync(f, { force: true });
    last = await stopOnceCommitted(db, input, signal, 0, stdinFile);
    if (last.code !== 0) return last;
  }
  return last;
}

const STOPPED = /^proc-tree ingest: stopped by (SIGINT|SIGTERM): read (\d+) of (\d+) bytes of (\S+); run the same command again to continue$/m;

describe('ingest of a real rotated capture stopped by a signal', () => {
  it('SIGINT and SIGTERM: commit, no -wal/-shm, lock released, 130/143, and the re-run ends with the uninterrupted history', async () => {
    const input = join(dir, 'real');
    mkdirSync(input);
    for (const f of LOGS) writeFileSync(join(input, f), manyHosts(join(CAPTURE, f), HOSTS));
    const ref = join(dir, 'ref.db');
    const plain = spawnSync(process.execPath, [MAIN, 'ingest', '--db', ref, input], { encoding: 'utf8' });
    expect(plain.status, plain.stderr).toBe(0);

    const db = join(dir, 'int.db');
    const first = await stopMidIngest(db, input, 'SIGINT');
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
    const second = await stopOnceCommitted(db, input, 'SIGTERM', countOf(db, RESUME_SQL));
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

  /** `args` (an INPUT and maybe --source-name) stopped by SIGINT once rows are committed, then run to its end: the history of one uninterrupted run. */
  async function stopAndFinish(name: string, input: string, stdinFile?: string): Promise<void> {
    const run = (db: string) => {
      const args = [MAIN, 'ingest', '--db', db, ...(stdinFile !== undefined ? ['--source-name', stdinFile] : []), input];
      return spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 20, ...(stdinFile !== undefined ? { input: readFileSync(stdinFile) } : {}) });
    };
    const ref = join(dir, `${name}-ref.db`);
    const plain = run(ref);
    expect(plain.status, plain.stderr).toBe(0);
    const db = join(dir, `${name}.db`);
    const stopped = await stopMidIngest(db, input, 'SIGINT', stdinFile);
    expect(stopped.signalled).toBe(true);
    expect(stopped.code, stopped.stderr).toBe(130);
    // Its decompressed size is not known: how far only.
    expect(stopped.stderr, stopped.stderr).toMatch(/^proc-tree ingest: stopped by SIGINT: read [1-9]\d* bytes of \S+; run the same command again to continue$/m);
    expect(existsSync(`${db}-wal`) || existsSync(`${db}-shm`)).toBe(false);
    const last = run(db);
    expect(last.status, last.stderr).toBe(0);
    expect(last.stderr).toMatch(/resumed from byte [1-9]/);
    expect(last.stderr).not.toMatch(/took over/);
    expect(canonicalDump(db)).toEqual(canonicalDump(ref));
  }

  /** The capture's largest generation (632 KB) under the HOSTS names (19 MB). */
  const head = (): Buffer => manyHosts(join(CAPTURE, 'audit.log'), HOSTS);

  it('a .gz: stopped, then continued to the uninterrupted history', async () => {
    const gz = join(dir, 'audit.log.1.gz');
    writeFileSync(gz, gzipSync(head(), { level: 1 }));
    await stopAndFinish('gz', gz);
  }, 30_000);

  it('stdin (-): stopped, then the same log piped again continues to the uninterrupted history', async () => {
    const log = join(dir, 'audit.log.1');
    writeFileSync(log, head());
    await stopAndFinish('stdin', '-', log);
  }, 30_000);

  it('a second SIGINT exits at once (130) without damage: the next run takes over and ends with the uninterrupted history', async () => {
    const log = join(dir, 'twice.log');
    writeFileSync(log, head());
    const ref = join(dir, 'twice-ref.db');
    const plain = spawnSync(process.execPath, [MAIN, 'ingest', '--db', ref, log], { encoding: 'utf8' });
    expect(plain.status, plain.stderr).toBe(0);
    const db = join(dir, 'twice.db');
    let stderr = '';
    let signalled = false;
    let exited: Promise<number | null> = Promise.resolve(0);
    let child: ReturnType<typeof spawn> | undefined;
    for (let t = 0; t < TRIES && !signalled; t++) {
      for (const f of [db, `${db}-wal`, `${db}-shm`, `${db}-journal`]) rmSync(f, { force: true });
      const c = spawn(process.execPath, [MAIN, 'ingest', '--db', db, '--commit-every', COMMIT_EVERY, log], { stdio: ['ignore', 'ignore', 'pipe'] });
      child = c;
      stderr = '';
      c.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
      exited = new Promise<number | null>((r) => c.on('close', (code) => r(code)));
      for (let i = 0; i < 2000 && c.exitCode === null && !signalled; i++) {
        await new Promise((r) => setTimeout(r, 2));
        try {
          if (countOf(db, RESUME_SQL) > 0 && c.exitCode === null) signalled = c.kill('SIGINT');
        } catch {
          // not created yet
        }
      }
      if (!signalled) await exited;
    }
    expect(signalled).toBe(true);
    await new Promise((r) => setTimeout(r, 2));
    child!.kill('SIGINT');
    expect(await exited, stderr).toBe(130);
    expect(stderr).toMatch(/^proc-tree ingest: (second SIGINT: exiting now|stopped by SIGINT)/m);
    const reader = new Database(db, { readonly: true });
    expect(reader.pragma('integrity_check', { simple: true })).toBe('ok');
    reader.close();
    const last = spawnSync(process.execPath, [MAIN, 'ingest', '--db', db, log], { encoding: 'utf8' });
    expect(last.status, last.stderr).toBe(0);
    expect(canonicalDump(db)).toEqual(canonicalDump(ref));
  }, 30_000);
});
