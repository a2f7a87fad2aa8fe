import Database from 'better-sqlite3';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REPO_ROOT, runCli } from './cli-runner.js';

/**
 * An ingest that stores nothing leaves no empty history behind (the review: README.md given
 * as INPUT, or --format proc-connector on an audit log, left an empty .db that later queries
 * opened as "a history with no processes"), and never removes a database that was there.
 */
const AUDIT_LOG = join(REPO_ROOT, 'samples', 'auditd', 'exec-chain', 'logs');
const NOT_A_LOG = join(REPO_ROOT, 'README.md');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'proc-tree-nothing-stored-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const processes = (db: string): number => {
  const h = new Database(db, { readonly: true });
  try {
    return (h.prepare('SELECT count(*) AS n FROM instances').get() as { n: number }).n;
  } finally {
    h.close();
  }
};

describe('ingest that stores nothing', () => {
  test.each([
    ['a file that is not an audit log', ['not-a-log.db', NOT_A_LOG]],
    ['--format proc-connector on an audit log', ['wrong-format.db', '--format', 'proc-connector', AUDIT_LOG]],
  ])('%s: exit 1, and the .db it created is gone with its -wal/-shm', async (_what, [name, ...rest]) => {
    const sub = await mkdtemp(join(dir, 'new-'));
    const db = join(sub, name!);
    const r = await runCli(['ingest', '--db', db, ...rest]);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(db)).toBe(false);
    expect(await readdir(sub)).toEqual([]);
  });

  // The review: a failed ingest printed "removed X.db" before the error that made it fail.
  test.each([
    ['a missing INPUT', ['missing.db', join(REPO_ROOT, 'samples', 'no-such-log')], /^cannot open /],
    ['a connector capture without its clock', ['no-clock.db', '--format', 'proc-connector', join(AUDIT_LOG, 'audit.log')], /--boot-time/],
    ['a file that is not an audit log', ['not-a-log-order.db', NOT_A_LOG], /^nothing ingested: /],
  ])('%s: the reason first, then one line saying the database it created was removed', async (_what, [name, ...rest], reason) => {
    const sub = await mkdtemp(join(dir, 'order-'));
    const db = join(sub, name as string);
    const r = await runCli(['ingest', '--db', db, ...(rest as string[])]);
    expect(r.code).toBe(1);
    const lines = r.stderr.trimEnd().split('\n').filter((l) => l.startsWith('proc-tree ingest: '));
    expect(lines.at(-2)!.slice('proc-tree ingest: '.length)).toMatch(reason as RegExp);
    expect(lines.at(-1)).toBe(`proc-tree ingest: nothing stored: removed ${db}, which this run had created`);
    expect(existsSync(db)).toBe(false);
  });

  test('a database that existed before is kept: a history, and an empty file', async () => {
    const db = join(dir, 'kept.db');
    expect((await runCli(['ingest', '--db', db, AUDIT_LOG])).code).toBe(0);
    const before = processes(db);
    expect(before).toBeGreaterThan(0);
    const r = await runCli(['ingest', '--db', db, NOT_A_LOG]);
    expect(r.code).toBe(1);
    expect(processes(db)).toBe(before);

    const blank = join(dir, 'blank.db');
    writeFileSync(blank, '');
    expect((await runCli(['ingest', '--db', blank, NOT_A_LOG])).code).toBe(1);
    expect(statSync(blank).isFile()).toBe(true);
  });

  test('an ingest that stored processes keeps the database it created', async () => {
    const db = join(dir, 'new-ok.db');
    expect((await runCli(['ingest', '--db', db, AUDIT_LOG])).code).toBe(0);
    expect(processes(db)).toBeGreaterThan(0);
  });
});
