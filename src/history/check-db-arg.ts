import { statSync } from 'node:fs';
import { UserError } from '../cli/user-error.js';

/** The --db path (default ./proc-tree.db), refusing a directory with a message that says what to pass. */
export function checkDbArg(db: string | undefined): string {
  const path = db ?? './proc-tree.db';
  // SQLite reports a directory as "disk I/O error": name the real mistake instead.
  if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) {
    throw new UserError(`${path} is a directory, not a history database: pass the database file with --db FILE`);
  }
  return path;
}
