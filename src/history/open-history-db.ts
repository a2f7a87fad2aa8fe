import { createRequire } from 'node:module';
import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { UserError } from '../cli/user-error.js';
import { loadMigrations, type Migration } from './migrations.js';

/** `PRAGMA application_id` of a proc-tree history database: ASCII "ptre". */
export const HISTORY_APPLICATION_ID = 0x70747265;

export type SqliteDatabase = BetterSqlite3.Database;

/**
 * better-sqlite3 loaded with `require` and its addon by path: importing the CommonJS package
 * through the ESM loader and letting it search for its `.node` file cost ~20-40 ms of every
 * CLI query's start-up here (profiled), more than the query itself.
 */
const requireCjs = createRequire(import.meta.url);
const Database = requireCjs('better-sqlite3') as typeof BetterSqlite3;
const NATIVE_BINDING = join(dirname(requireCjs.resolve('better-sqlite3/package.json')), 'build', 'Release', 'better_sqlite3.node');

/** Address space mapped for reads (not memory used: the OS pages it in on demand). */
const MMAP_BYTES = 1 << 30;
/** SQLite's own page cache per connection: queries ... */
const CACHE_KIB = 64 * 1024;
/**
 * ... and a writer. Smaller for the writer: it must stay within the ingest's 256 MB
 * budget beside two V8 heaps (parse worker), and index pages it drops are re-read from
 * the OS page cache. Only `instances_by_pid` is written at random places (every other
 * index grows at its end), and its leaves outgrow any cache we could afford on a long log
 * anyway: 64 -> 24 MiB cost nothing measurable on a 320 MiB log, nor 24 -> 12 MiB on the
 * 1.8 GB query log (peak RSS 246-249 -> 236 MiB with the file not mapped, see below).
 */
const WRITER_CACHE_KIB = 12 * 1024;

export interface OpenHistoryOptions {
  /** Open for queries only: never creates or migrates (a missing file is an error). */
  readonly?: boolean;
  /** Migrations to apply (tests); default: schema/*.sql. */
  migrations?: Migration[];
}

/**
 * Opens (creating and migrating when allowed) a history database.
 * WAL lets queries read while an ingest writes; synchronous=NORMAL is durable across a
 * killed process (only an OS crash can lose the last transactions, never corrupt the file).
 */
export function openHistoryDb(path: string, options: OpenHistoryOptions = {}): SqliteDatabase {
  const readonly = options.readonly === true;
  let db: SqliteDatabase;
  try {
    db = new Database(path, { readonly, fileMustExist: readonly, nativeBinding: NATIVE_BINDING });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (readonly && /unable to open|does not exist/i.test(message)) {
      throw new UserError(`no history database at ${path}: create one with 'proc-tree ingest --db ${path} LOG...' or pass --db FILE`);
    }
    throw new UserError(`cannot open history database ${path}: ${message}`);
  }
  try {
    checkIdentity(db, path, readonly);
    if (!readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      migrate(db, path, options.migrations ?? loadMigrations());
    } else {
      const known = (options.migrations ?? loadMigrations()).length;
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version === 0) throw new UserError(`${path} is an empty database, not a proc-tree history: ingest a log into it first`);
      if (version > known) throw newerError(path, version, known);
    }
    // Queries jump around a file of hundreds of MB: reading pages through a memory map
    // instead of one pread per page halved ancestryAt's cost on 1M instances (bench/
    // history-query-bench.ts). Not for the writer: every page it touches through the map
    // stays in its resident set, so an ingest's peak RSS grew with the database: 633 MiB
    // (452 MiB of it the mapped 425 MiB file) at the end of the 1.8 GB query log, 246 MiB
    // unmapped at the same speed. Its own page cache is bounded instead.
    db.pragma(`mmap_size = ${readonly ? MMAP_BYTES : 0}`);
    db.pragma(`cache_size = -${readonly ? CACHE_KIB : WRITER_CACHE_KIB}`);
    db.pragma('foreign_keys = OFF'); // rows are written in dependency order; checks cost ingest time
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * A connection to an existing file with nothing changed (journal mode, cache): for a small
 * write after the writer closed, which must not switch a self-contained file back to WAL.
 */
export function openPlainDb(path: string): SqliteDatabase {
  return new Database(path, { fileMustExist: true, nativeBinding: NATIVE_BINDING });
}

function newerError(path: string, version: number, known: number): UserError {
  return new UserError(
    `${path} has history schema version ${version}, newer than this proc-tree knows (${known}): upgrade proc-tree to read it`,
  );
}

function checkIdentity(db: SqliteDatabase, path: string, readonly: boolean): void {
  let appId: number;
  try {
    appId = db.pragma('application_id', { simple: true }) as number;
  } catch (error) {
    // Errors of the file itself surface on the first read, not on open.
    throw firstReadError(error, path, readonly);
  }
  if (appId === HISTORY_APPLICATION_ID) return;
  const tables = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number };
  if (appId !== 0 || tables.n > 0) {
    throw new UserError(`${path} is a SQLite database of another application, not a proc-tree history: pass another --db FILE`);
  }
}

/**
 * Says what the first read of a database failed on. Only SQLITE_NOTADB means "not a
 * database"; a write-protected copy of a history left in WAL mode fails here too (a reader
 * must create FILE-shm beside it), and needs a different remedy. Not read with SQLite's
 * immutable=1 instead: better-sqlite3's build ignores URI filenames (SQLITE_USE_URI=0), and
 * immutable would silently skip changes still in FILE-wal.
 */
function firstReadError(error: unknown, path: string, readonly: boolean): UserError {
  const message = error instanceof Error ? error.message : String(error);
  const code = typeof (error as { code?: unknown }).code === 'string' ? (error as { code: string }).code : '';
  if (code === 'SQLITE_NOTADB') {
    return new UserError(`${path} is not a SQLite database (${message}): pass a proc-tree history file with --db`);
  }
  if (readonly && /^SQLITE_(READONLY|CANTOPEN)/.test(code)) {
    const wal = `${path}-wal`;
    const walBytes = fileSize(wal);
    const where = dirname(path);
    if (walBytes !== undefined && walBytes > 0) {
      return new UserError(
        `cannot read ${path}: part of its history is still in ${wal} (${walBytes} bytes) and SQLite cannot create ${path}-shm to read it (${message}; is ${where} writable?): copy ${path} and ${wal} together to a writable directory and query the copy`,
      );
    }
    return new UserError(
      `cannot read ${path}: it is in WAL journal mode (written by an older proc-tree, or an ingest --follow/watch that did not stop cleanly) and SQLite cannot create ${path}-shm beside it (${message}; is ${where} writable?): copy it to a writable directory and query the copy`,
    );
  }
  if (readonly && code.startsWith('SQLITE_IOERR_SHM')) {
    // A WAL-mode file is read through FILE-shm, which the reader grows: no room for it.
    return new UserError(`cannot read ${path}: SQLite cannot grow ${path}-shm beside it (${message}, ${code}; is the disk full?): free some space in ${dirname(path)} and query again`);
  }
  return new UserError(`cannot read history database ${path}: ${message}`);
}

function fileSize(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch {
    return undefined;
  }
}

/**
 * Leaves a database self-contained at the end of a plain ingest: rollback-journal mode,
 * no -wal/-shm needed, so a write-protected evidence copy in a read-only directory can be
 * queried. Only when this is the only connection (an ingest --follow or a query may have
 * it open: then it stays in WAL, which they need); returns whether it switched.
 */
export function leaveSelfContained(db: SqliteDatabase): boolean {
  const timeout = db.pragma('busy_timeout', { simple: true }) as number;
  try {
    db.pragma('busy_timeout = 0'); // another connection: do not wait, keep WAL
    return db.pragma('journal_mode = DELETE', { simple: true }) === 'delete';
  } catch (error) {
    // Busy: another connection needs WAL, and keeps it. Anything else (the checkpoint
    // found the disk full) the caller must say: the file still needs its -wal.
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))) return false;
    throw error;
  } finally {
    db.pragma(`busy_timeout = ${timeout}`);
  }
}

function migrate(db: SqliteDatabase, path: string, migrations: Migration[]): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > migrations.length) throw newerError(path, version, migrations.length);
  for (const migration of migrations) {
    if (migration.version <= version) continue;
    // DDL and the version bump commit together: a crash leaves the old version intact.
    // IMMEDIATE, and the version read again inside: two writers opening a new file at
    // once would otherwise both start from version 0, and the second fail on
    // "table already exists" after waiting for the first.
    db.transaction(() => {
      if ((db.pragma('user_version', { simple: true }) as number) >= migration.version) return;
      db.exec(migration.sql);
      db.pragma(`application_id = ${HISTORY_APPLICATION_ID}`);
      db.pragma(`user_version = ${migration.version}`);
    }).immediate();
  }
}
