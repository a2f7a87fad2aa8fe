import { lstat, unlink } from 'node:fs/promises';
import { openHistoryDb } from '../history/open-history-db.js';
import { WRITER_LOCK_KEY } from '../history/sqlite-writer-lock.js';

/** A SQLite history and the files SQLite keeps beside it. */
const dbFiles = (db: string): string[] => [db, `${db}-wal`, `${db}-shm`];

/**
 * The files of the history `db` that do not exist yet, read before an ingest: the only ones
 * a failed ingest may remove afterwards. A database that existed before is never among them.
 */
export async function absentDbFiles(db: string): Promise<string[]> {
  const absent: string[] = [];
  for (const path of dbFiles(db)) if ((await lstat(path).catch(() => undefined)) === undefined) absent.push(path);
  return absent;
}

/**
 * After an ingest that stored nothing (nothing ingested, or refused before reading): removes
 * the history it created, so a typo'd INPUT or a wrong --format leaves no empty .db behind
 * that a later query would open as "a history with no processes". Only when this run created
 * the database file (`absentBefore` from absentDbFiles), and only when it holds no process and
 * no writer is registered in it (another ingest that opened it meanwhile keeps it). Returns
 * whether it was removed.
 */
export async function discardCreatedEmptyDb(db: string, absentBefore: readonly string[]): Promise<boolean> {
  if (!absentBefore.includes(db)) return false;
  if ((await lstat(db).catch(() => undefined))?.isFile() !== true) return false;
  let empty = false;
  try {
    const handle = openHistoryDb(db, { readonly: true });
    try {
      const processes = handle.prepare('SELECT count(*) AS n FROM instances').get() as { n: number };
      const writer = handle.prepare('SELECT count(*) AS n FROM resume_state WHERE key = ?').get(WRITER_LOCK_KEY) as { n: number };
      empty = processes.n === 0 && writer.n === 0;
    } finally {
      handle.close();
    }
  } catch {
    return false; // not a history we can read: not ours to judge, left alone
  }
  if (!empty) return false;
  for (const path of dbFiles(db)) if (absentBefore.includes(path)) await unlink(path).catch(() => undefined);
  return true;
}
