import { SqliteWriterLock } from '../history/sqlite-writer-lock.js';
import type { AcquireOptions, WriterLock } from './writer-lock.js';
import { withWriterLock } from './writer-lock.js';
import { writerErrorForUser } from './writer-lock-errors.js';

/** The writer lock of the history at `db` (a SQLite file; PostgreSQL adds its own). */
export function writerLockFor(db: string, command: string): WriterLock {
  return new SqliteWriterLock(db, command);
}

/** `write` as the only writer of `db`, its database errors said in one line (see withWriterLock). */
export function asOnlyWriter<T>(db: string, command: string, options: AcquireOptions, write: () => Promise<T>): Promise<T> {
  return withWriterLock(writerLockFor(db, command), { ...options, explain: (error) => writerErrorForUser(error, db) }, write);
}
