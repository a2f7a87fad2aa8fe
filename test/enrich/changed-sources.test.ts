/**
 * explain and report --event read an event's records again from the logs the history names:
 * after a same-length edit of such a log (a pid digit changed), they still answer from the
 * history but say the records shown are today's file, not what was ingested (stderr, the
 * text, --json's proc_tree.source_changed, the page), with exit 3; an unedited log: exit 0,
 * no warning. SQLite and PostgreSQL (each store reads the stored hashes with the names).
 */
import Database from 'better-sqlite3';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { cliInProcess } from '../cli/cli-in-process.js';
import { freshDatabase, type TestDatabase } from '../support/postgres-database.js';
import { repoRoot } from '../support/truth.js';

const LOGS = join(repoRoot, 'samples', 'auditd', 'rotation', 'logs');
const dir = mkdtempSync(join(tmpdir(), 'proc-tree-changed-sources-'));
const databases: TestDatabase[] = [];
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  for (const db of databases) await db.drop();
});

/** A copy of the rotation logs, and an exec event of audit.log.1 with the line that names its pid. */
function copyLogs(name: string): { logs: string; log: string; id: string; line: string } {
  const logs = join(dir, name);
  cpSync(LOGS, logs, { recursive: true });
  const log = join(logs, 'audit.log.1');
  const line = readFileSync(log, 'latin1').split('\n').find((l) => /^type=SYSCALL .* syscall=59 .* pid=\d+ /.test(l))!;
  const id = /msg=audit\(([\d.:]+)\)/.exec(line)![1]!;
  return { logs, log, id, line };
}

/** The same-length edit of the review: the first digit of the event's pid= changed. */
function editPid(log: string, line: string): string {
  const m = / pid=(\d)(\d*) /.exec(line)!;
  const edited = line.replace(m[0], ` pid=${m[1] === '1' ? '2' : '1'}${m[2]} `);
  const text = readFileSync(log, 'latin1');
  writeFileSync(log, text.replace(line, edited), 'latin1');
  expect(readFileSync(log).length).toBe(Buffer.byteLength(text, 'latin1'));
  return edited;
}

const warning = (log: string) => `WARNING: ${log} changed since it was ingested (sha256 of its first ${readFileSync(log).length} bytes differs): the records shown are today's file, not what was ingested`;

async function checkBackend(db: string, name: string): Promise<void> {
  const { logs, log, id, line } = copyLogs(name);
  expect((await cliInProcess('ingest', '--db', db, logs)).code).toBe(0);
  const before = await cliInProcess('explain', id, '--db', db);
  expect(before.code, before.err).toBe(0);
  expect(before.err).not.toContain('WARNING');

  editPid(log, line);
  const text = await cliInProcess('explain', id, '--db', db);
  expect(text.code, text.err).toBe(3);
  expect(text.err).toContain(warning(log));
  expect(text.out.split('\n')[0]).toBe(warning(log));
  // The records shown are today's (the edited pid): the warning is what tells the reader.
  expect(text.out).not.toBe(before.out);

  const json = await cliInProcess('explain', id, '--db', db, '--json');
  expect(json.code).toBe(3);
  expect(JSON.parse(json.out).proc_tree.source_changed).toBe(true);

  // The edited pid names no process of the history: no page, but the warning says why.
  const page = join(dir, `${name}.html`);
  const report = await cliInProcess('report', '--event', id, '--db', db, '-o', page);
  expect(report.code, report.err).toBe(3);
  expect(report.err).toContain(warning(log));
  expect(report.err).toMatch(/no process to report/);

  // An edit that keeps the pid (a later field): the page is made, and says so.
  writeFileSync(log, readFileSync(join(LOGS, 'audit.log.1'), 'latin1').replace(/ ses=(\d)/, (_m, d: string) => ` ses=${d === '1' ? '2' : '1'}`), 'latin1');
  const made = await cliInProcess('report', '--event', id, '--db', db, '-o', page);
  expect(made.code, made.err).toBe(3);
  expect(made.err).toContain(warning(log));
  expect(readFileSync(page, 'utf8')).toContain('id="ev-source-changed"');
}

/** A history from before the hash was kept: the edit cannot be seen, and nothing is said of it. */
async function checkNoHash(db: string, name: string, dropHash: () => Promise<void>): Promise<void> {
  const { logs, log, id, line } = copyLogs(name);
  expect((await cliInProcess('ingest', '--db', db, logs)).code).toBe(0);
  await dropHash();
  editPid(log, line);
  const r = await cliInProcess('explain', id, '--db', db);
  expect(r.code, r.err).toBe(0);
  expect(r.err + r.out).not.toContain('WARNING');
}

describe('explain and report --event after the log was edited', () => {
  it('a .gz: its decompressed content is compared (an edit recompressed: exit 3; untouched: 0)', async () => {
    const { logs, log, id, line } = copyLogs('gz');
    const gz = `${log}.gz`;
    writeFileSync(gz, gzipSync(readFileSync(log)));
    rmSync(log);
    const db = join(dir, 'gz.db');
    expect((await cliInProcess('ingest', '--db', db, logs)).code).toBe(0);
    expect((await cliInProcess('explain', id, '--db', db)).code).toBe(0);
    const m = / pid=(\d)/.exec(line)!;
    const text = gunzipSync(readFileSync(gz)).toString('latin1');
    writeFileSync(gz, gzipSync(Buffer.from(text.replace(line, line.replace(m[0], ` pid=${m[1] === '1' ? '2' : '1'}`)), 'latin1')));
    const r = await cliInProcess('explain', id, '--db', db);
    expect(r.code, r.err).toBe(3);
    expect(r.err).toContain(`WARNING: ${gz} changed since it was ingested (sha256 of its first ${text.length} bytes differs)`);
  }, 60_000);

  it('SQLite, a history without the hash columns (before schema 005): not checked, exit 0', async () => {
    const db = join(dir, 'old.db');
    await checkNoHash(db, 'sqlite-old', async () => {
      const h = new Database(db);
      h.exec('ALTER TABLE sources DROP COLUMN content_sha256; ALTER TABLE sources DROP COLUMN content_bytes');
      h.close();
    });
  }, 60_000);

  it('PostgreSQL, a history without the hash columns (before schema 003): not checked, exit 0', async () => {
    const db = await freshDatabase('changed_old');
    databases.push(db);
    await checkNoHash(db.url, 'pg-old', async () => {
      const client = await db.connect();
      try {
        await client.query('ALTER TABLE sources DROP COLUMN content_sha256, DROP COLUMN content_bytes');
        await client.query('DELETE FROM proc_tree_schema WHERE version >= 3');
      } finally {
        await client.end();
      }
    });
  }, 60_000);

  it('SQLite: a same-length edit of the log is said (stderr, text, --json, page) with exit 3', async () => {
    await checkBackend(join(dir, 'h.db'), 'sqlite');
  }, 60_000);

  it('PostgreSQL: the same', async () => {
    const db = await freshDatabase('changed');
    databases.push(db);
    await checkBackend(db.url, 'pg');
  }, 60_000);
});
