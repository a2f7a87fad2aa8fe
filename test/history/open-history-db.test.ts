import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/cli/user-error.js';
import { loadMigrations } from '../../src/history/migrations.js';
import { HISTORY_APPLICATION_ID, openHistoryDb } from '../../src/history/open-history-db.js';

const dir = mkdtempSync(join(tmpdir(), 'proc-tree-open-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('openHistoryDb', () => {
  it('creates a database with every migration applied, its version and application id recorded, in WAL mode', () => {
    const path = join(dir, 'new.db');
    const db = openHistoryDb(path);
    expect(db.pragma('user_version', { simple: true })).toBe(loadMigrations().length);
    expect(db.pragma('application_id', { simple: true })).toBe(HISTORY_APPLICATION_ID);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name);
    expect(tables).toEqual(expect.arrayContaining(['instances', 'parents', 'images', 'losses', 'sources', 'hosts']));
    db.close();
    // Opening again migrates nothing and keeps the data.
    const again = openHistoryDb(path);
    expect(again.pragma('user_version', { simple: true })).toBe(loadMigrations().length);
    again.close();
  });

  it('refuses a SQLite database of another application with a clear message', () => {
    const path = join(dir, 'foreign.db');
    const other = new Database(path);
    other.exec('CREATE TABLE accounts (id INTEGER PRIMARY KEY)');
    other.close();
    expect(() => openHistoryDb(path)).toThrow(UserError);
    expect(() => openHistoryDb(path)).toThrow(/another application, not a proc-tree history/);
  });

  it('refuses a file that is not SQLite at all', () => {
    const path = join(dir, 'text.db');
    writeFileSync(path, 'type=SYSCALL msg=audit(1.0:1): this is an audit log, not a database\n'.repeat(100));
    expect(() => openHistoryDb(path)).toThrow(/not a SQLite database/);
  });

  it('refuses a history written by a newer proc-tree', () => {
    const path = join(dir, 'newer.db');
    openHistoryDb(path).close();
    const raw = new Database(path);
    raw.pragma(`user_version = ${loadMigrations().length + 1}`);
    raw.close();
    expect(() => openHistoryDb(path)).toThrow(/newer than this proc-tree knows/);
    expect(() => openHistoryDb(path, { readonly: true })).toThrow(/upgrade proc-tree/);
  });

  it('tells how to create a history when a query names a missing file', () => {
    expect(() => openHistoryDb(join(dir, 'missing.db'), { readonly: true })).toThrow(/no history database at .*proc-tree ingest/);
  });

  it('applies a later migration to an existing database in order', () => {
    const path = join(dir, 'migrate.db');
    const base = loadMigrations();
    openHistoryDb(path, { migrations: base }).close();
    const next = [...base, { version: base.length + 1, name: 'test-extra.sql', sql: 'CREATE TABLE extra (x INTEGER);' }];
    const db = openHistoryDb(path, { migrations: next });
    expect(db.pragma('user_version', { simple: true })).toBe(base.length + 1);
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'extra'").get()).toEqual({ n: 1 });
    db.close();
  });

  it('maps the file into memory for queries but not for an ingest, whose resident set must not grow with the database', () => {
    const path = join(dir, 'mapped.db');
    const writer = openHistoryDb(path);
    expect(writer.pragma('mmap_size', { simple: true })).toBe(0);
    const reader = openHistoryDb(path, { readonly: true });
    expect(reader.pragma('mmap_size', { simple: true })).toBeGreaterThan(0);
    reader.close();
    writer.close();
  });
});
