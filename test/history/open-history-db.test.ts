import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/cli/user-error.js';
import { loadMigrations } from '../../src/history/migrations.js';
import { HISTORY_APPLICATION_ID, leaveSelfContained, openHistoryDb } from '../../src/history/open-history-db.js';
import { installForNobody, NOBODY } from '../support/nobody-install.js';

const dir = mkdtempSync(join(tmpdir(), 'proc-tree-open-'));
chmodSync(dir, 0o755); // user nobody (below) must reach the cases
// Nobody runs a copy of the build: the checkout may be in a 0700 directory they cannot enter.
const nobodyInstall = installForNobody();
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  nobodyInstall.remove();
});

/**
 * openHistoryDb(path, {readonly}) of the built module as user nobody (root writes through
 * chmod, so only another user meets a read-only file): its error message, or 'ok N'.
 */
function openAsNobody(path: string): string {
  const module = nobodyInstall.module('history/open-history-db.js');
  const script = `import { openHistoryDb } from ${JSON.stringify(module)};
try { const db = openHistoryDb(process.argv[1], { readonly: true }); console.log('ok ' + db.prepare('SELECT count(*) AS n FROM hosts').get().n); db.close(); }
catch (e) { console.log(e.message); }`;
  return execFileSync(process.execPath, ['--input-type=module', '-e', script, path], { ...NOBODY, encoding: 'utf8' }).trim();
}

/** A case directory nobody can read but not write, holding a copy of the files given. */
function readOnlyCopy(name: string, files: string[]): string {
  const caseDir = join(dir, name);
  mkdirSync(caseDir);
  for (const f of files) {
    copyFileSync(f, join(caseDir, f.slice(f.lastIndexOf('/') + 1)));
    chmodSync(join(caseDir, f.slice(f.lastIndexOf('/') + 1)), 0o444);
  }
  chmodSync(caseDir, 0o555);
  return caseDir;
}

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

  it('reads a history left in rollback-journal mode from a read-only directory, and explains a WAL-mode one instead of calling it "not a SQLite database"', () => {
    const path = join(dir, 'wal.db');
    const db = openHistoryDb(path);
    db.prepare("INSERT INTO hosts (name) VALUES ('a')").run();
    db.close(); // WAL mode stays recorded in the header, as an older proc-tree left it
    const walCase = readOnlyCopy('wal-ro', [path]);
    const walMessage = openAsNobody(join(walCase, 'wal.db'));
    expect(walMessage).not.toMatch(/not a SQLite database/);
    expect(walMessage).toMatch(/in WAL journal mode .*cannot create .*wal\.db-shm.*copy it to a writable directory/);

    const settled = openHistoryDb(path);
    expect(leaveSelfContained(settled)).toBe(true);
    settled.close();
    const deleteCase = readOnlyCopy('delete-ro', [path]);
    expect(openAsNobody(join(deleteCase, 'wal.db'))).toBe('ok 1');
  });

  it('does not read a WAL file that still holds frames as if it were empty: it says to copy both files', () => {
    const path = join(dir, 'frames.db');
    const writer = openHistoryDb(path);
    writer.pragma('wal_autocheckpoint = 0');
    writer.prepare("INSERT INTO hosts (name) VALUES ('b')").run();
    expect(statSync(`${path}-wal`).size).toBeGreaterThan(0);
    const framesCase = readOnlyCopy('frames-ro', [path, `${path}-wal`]);
    writer.close();
    expect(openAsNobody(join(framesCase, 'frames.db'))).toMatch(/still in .*frames\.db-wal \(\d+ bytes\).*copy .* together to a writable directory/);
  });

  it('keeps WAL mode while another connection has the file open (a follow or a query reading it)', () => {
    const path = join(dir, 'shared.db');
    const a = openHistoryDb(path);
    const reader = openHistoryDb(path, { readonly: true });
    reader.prepare('SELECT count(*) FROM hosts').get();
    expect(leaveSelfContained(a)).toBe(false);
    expect(a.pragma('journal_mode', { simple: true })).toBe('wal');
    reader.close();
    a.close();
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
