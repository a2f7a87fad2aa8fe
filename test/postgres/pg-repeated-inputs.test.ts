import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT_INCOMPLETE } from '../../src/cli/user-error.js';
import { cliInProcess } from '../cli/cli-in-process.js';
import { canonicalDump } from '../ingest/canonical-dump.js';
import { freshDatabase, type TestDatabase } from '../support/postgres-database.js';
import { repoRoot } from '../support/truth.js';
import { pgCanonicalDump } from './pg-canonical-dump.js';
import Database from 'better-sqlite3';
import { openHistoryDb } from '../../src/history/open-history-db.js';

// test/ingest/repeated-inputs.test.ts on PostgreSQL: its registry reads the stored evidence
// of each source with its own SQL (pg-source-registry.ts), the checks are shared.
const LOGS = join(repoRoot, 'samples', 'auditd', 'rotation', 'logs');
const dir = mkdtempSync(join(tmpdir(), 'proc-tree-pg-repeated-'));
const databases: TestDatabase[] = [];
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  for (const db of databases) await db.drop();
});
const lastLine = (err: string): string => err.trimEnd().split('\n').at(-1)!;

describe('ingest into PostgreSQL refuses what SQLite refuses', () => {
  it('a concatenation of logs ingested before, and an edited copy of one: exit 3, one line naming both files, nothing stored twice', async () => {
    const db = await freshDatabase('repeated');
    databases.push(db);
    const sqlite = join(dir, 'h.db');
    expect((await cliInProcess('ingest', '--db', sqlite, LOGS)).code).toBe(0);
    expect((await cliInProcess('ingest', '--db', db.url, LOGS)).code).toBe(0);
    const all = join(dir, 'all.log');
    writeFileSync(all, Buffer.concat(['audit.log.2', 'audit.log.1', 'audit.log'].map((f) => readFileSync(join(LOGS, f)))));
    const r = await cliInProcess('ingest', '--db', db.url, all);
    expect(r.code).toBe(EXIT_INCOMPLETE);
    expect(lastLine(r.err)).toMatch(new RegExp(`^proc-tree ingest: ${all} repeats records already ingested from ${join(LOGS, 'audit.log.1')} `));
    const lines = readFileSync(join(LOGS, 'audit.log.2'), 'latin1').split(/(?<=\n)/);
    const moved = join(dir, 'moved.log');
    writeFileSync(moved, [...lines.slice(0, 29), ...lines.slice(33), ...lines.slice(29, 33)].join(''), 'latin1');
    const m = await cliInProcess('ingest', '--db', db.url, moved);
    expect(m.code).toBe(EXIT_INCOMPLETE);
    expect(lastLine(m.err)).toMatch(/moved\.log starts like .*audit\.log\.2 .*does not continue it: the record audit\(/);
    expect(await pgCanonicalDump(db.url)).toEqual(canonicalDump(sqlite));
  });

  it("each source's row records its span, last record and events as SQLite's does; a history from before the columns is filled once and still refuses a concatenation", async () => {
    const db = await freshDatabase('records');
    databases.push(db);
    const sqlite = join(dir, 'records.db');
    expect((await cliInProcess('ingest', '--db', sqlite, LOGS)).code).toBe(0);
    expect((await cliInProcess('ingest', '--db', db.url, LOGS)).code).toBe(0);
    const columns = 'path, first_rec, last_rec, tail_rec, tail_off, record_count';
    const h = new Database(sqlite, { readonly: true });
    const fromSqlite = h.prepare(`SELECT ${columns} FROM sources ORDER BY path`).all();
    h.close();
    const client = await db.connect();
    try {
      const pgRows = async () => (await client.query(`SELECT ${columns} FROM sources ORDER BY path`)).rows.map((r) => ({ ...r, tail_off: Number(r.tail_off), record_count: r.record_count === null ? null : Number(r.record_count) }));
      expect(await pgRows()).toEqual(fromSqlite);
      // As the version before left it: no record columns, schema version 1.
      await client.query('ALTER TABLE sources DROP COLUMN first_rec, DROP COLUMN last_rec, DROP COLUMN tail_rec, DROP COLUMN tail_off, DROP COLUMN record_count, DROP COLUMN content_sha256, DROP COLUMN content_bytes');
      await client.query('DELETE FROM proc_tree_schema WHERE version > 1');
      const all = join(dir, 'records-all.log');
      writeFileSync(all, Buffer.concat(['audit.log.2', 'audit.log.1', 'audit.log'].map((f) => readFileSync(join(LOGS, f)))));
      const r = await cliInProcess('ingest', '--db', db.url, all);
      expect(r.code).toBe(EXIT_INCOMPLETE);
      expect(lastLine(r.err)).toMatch(new RegExp(`^proc-tree ingest: ${all} repeats records already ingested from ${join(LOGS, 'audit.log.1')} `));
      // Filled from the stored evidence (its records at the lowest and highest offset), as SQLite's migration fills.
      const legacy = new Database(sqlite);
      for (const c of ['first_rec', 'last_rec', 'tail_rec', 'tail_off', 'record_count', 'content_sha256', 'content_bytes']) legacy.exec(`ALTER TABLE sources DROP COLUMN ${c}`);
      legacy.pragma('user_version = 3');
      legacy.close();
      openHistoryDb(sqlite).close();
      const s = new Database(sqlite, { readonly: true });
      const filledSqlite = s.prepare(`SELECT ${columns} FROM sources ORDER BY path`).all() as { tail_rec: string | null; record_count: number | null }[];
      s.close();
      expect(filledSqlite.every((row) => row.tail_rec !== null && row.record_count === null)).toBe(true);
      expect(await pgRows()).toEqual(filledSqlite);
    } finally {
      await client.end();
    }
  });

  it('a same-length copy with one digit changed past the first 4 KiB is refused as a repeat (exit 3, one line), an unchanged re-run adds nothing, a grown log resumes; content hashes as SQLite stores them', async () => {
    const db = await freshDatabase('content');
    databases.push(db);
    const sqlite = join(dir, 'content.db');
    const original = join(LOGS, 'audit.log.2');
    const growing = join(dir, 'growing.log');
    const edited = join(dir, 'digit.log');
    const bytes = Buffer.from(readFileSync(original));
    const at = bytes.indexOf(' pid=', 4096) + ' pid='.length;
    expect(at).toBeGreaterThan(4096);
    bytes[at] = bytes[at] === 0x39 ? 0x38 : bytes[at]! + 1;
    writeFileSync(edited, bytes);
    for (const target of [sqlite, db.url]) {
      writeFileSync(growing, readFileSync(join(LOGS, 'audit.log.1')));
      expect((await cliInProcess('ingest', '--db', target, original, growing)).code).toBe(0);
      const r = await cliInProcess('ingest', '--db', target, edited);
      expect(r.code).toBe(EXIT_INCOMPLETE);
      expect(r.err).not.toMatch(/already-ingested/);
      expect(lastLine(r.err)).toMatch(new RegExp(`^proc-tree ingest: ${edited} differs from ${original} \\(same first 4096 bytes and size, sha256 differs\\): an edited copy\\?; not ingested`));
      const again = await cliInProcess('ingest', '--db', target, original);
      expect(again.code).toBe(0);
      expect(again.err).toMatch(/already-ingested/);
      writeFileSync(growing, Buffer.concat([readFileSync(join(LOGS, 'audit.log.1')), readFileSync(join(LOGS, 'audit.log'))]));
      const grown = await cliInProcess('ingest', '--db', target, growing);
      expect(grown.code).toBe(0);
      expect(grown.err).toMatch(/resumed from byte 9318/);
    }
    expect(await pgCanonicalDump(db.url)).toEqual(canonicalDump(sqlite));
    const h = new Database(sqlite, { readonly: true });
    const fromSqlite = h.prepare('SELECT path, content_sha256, content_bytes FROM sources ORDER BY path').all();
    h.close();
    const client = await db.connect();
    try {
      const rows = (await client.query('SELECT path, content_sha256, content_bytes FROM sources ORDER BY path')).rows.map((r) => ({ ...r, content_bytes: Number(r.content_bytes) }));
      expect(rows).toEqual(fromSqlite);
      expect(rows.find((r) => r.path === growing)).toEqual({ path: growing, content_sha256: createHash('sha256').update(readFileSync(growing)).digest('hex'), content_bytes: readFileSync(growing).length });
    } finally {
      await client.end();
    }
  });
});
