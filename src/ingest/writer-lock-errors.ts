import { UserError } from '../cli/user-error.js';
import { EXIT_TEMPFAIL } from './writer-lock.js';

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
      `${database} is locked by another process (${message}): wait for it, or pass --wait [SECONDS] to queue behind it`,
      EXIT_TEMPFAIL,
    );
  }
  return undefined;
}
