import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { UserError } from '../cli/user-error.js';
import { EXIT_TEMPFAIL, WAIT_HINT } from './writer-lock.js';

/** EX_IOERR (sysexits.h): the disk filled up under a writer, or a write failed. */
export const EXIT_IOERR = 74;

/** Below this much free space a failed write is taken for a full disk. */
const NEARLY_FULL_BYTES = 1 << 20;

/** What a writer cut short by a failed write tells the user to do. */
export const WRITE_FAILED_HINT = 'what was committed before is kept and can be queried; free some space, then run the same command again to continue from there';

/**
 * A database error of a writer that the user can act on, as a one-line UserError;
 * undefined for anything else (a bug: it stays an internal error).
 *
 * SQLITE_BUSY: the writer lock keeps writers apart, but SQLite's own lock can still be
 * met: a writer that keeps no lock record (an older proc-tree), or a query reading a
 * self-contained (rollback-journal) file while a writer needs it in WAL mode. Never a
 * stack trace for that: it is the same situation as a refused writer, exit 75.
 */
export function writerErrorForUser(error: unknown, database: string): UserError | undefined {
  if (error instanceof UserError) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string') return undefined;
  const message = error instanceof Error ? error.message : String(error);
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new UserError(
      `${database} is locked by another process (${message}): ${WAIT_HINT}`,
      EXIT_TEMPFAIL,
    );
  }
  const failure = writeFailure(error, database);
  if (failure !== undefined) return new UserError(`${database}: ${failure}: ${WRITE_FAILED_HINT}`, EXIT_IOERR);
  return undefined;
}

/**
 * A failed write said in a few words with SQLite's own message ("the disk is full (...)"),
 * or undefined when `error` is no write failure.
 *
 * SQLite says SQLITE_FULL when a write finds no space; the file system ENOSPC/EDQUOT. The
 * transaction in progress is rolled back: every earlier commit (rows with their resume
 * positions) stays, so the same command continues from there once there is room.
 * SQLITE_IOERR_*: a write (or growing FILE-shm, SQLITE_IOERR_SHMSIZE) failed; on a file
 * system with no room left that is the full disk said another way.
 */
export function writeFailure(error: unknown, database: string): string | undefined {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string') return undefined;
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT' || /database or disk is full|no space left/i.test(message)) {
    return `the disk is full (${message})`;
  }
  if (code.startsWith('SQLITE_IOERR')) return `${nearlyFull(database) ? 'the disk is full' : 'a write failed'} (${message}, ${code})`;
  return undefined;
}

function nearlyFull(database: string): boolean {
  try {
    const fs = statfsSync(dirname(database));
    return fs.bavail * fs.bsize < NEARLY_FULL_BYTES;
  } catch {
    return false;
  }
}
