import type { HistoryRecordsReader } from './history-records.js';
import { checkDbArg } from './check-db-arg.js';
import { openHistoryDb } from './open-history-db.js';
import { locateHistory } from './open-history-store.js';
import { SqliteHistoryRecords } from './sqlite-history-records.js';

export interface OpenedHistoryRecords {
  reader: HistoryRecordsReader;
  /**
   * Runs `fn` on one consistent snapshot (a read transaction): an export taken while an
   * ingest commits still describes one moment of the database.
   */
  read<T>(fn: (reader: HistoryRecordsReader) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * Opens the history named by `spec` (the --db argument: a file or a postgres:// URL; else
 * PROC_TREE_DB, PG*, ./proc-tree.db, as every query) read-only for bulk reads. A missing or
 * foreign database, or a server that cannot be reached, is a UserError.
 */
export async function openHistoryRecords(spec: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<OpenedHistoryRecords> {
  const where = locateHistory(spec, env);
  if (where.backend === 'postgres') {
    const { openPgHistoryRecords } = await import('./postgres/pg-history-records.js');
    return openPgHistoryRecords(where.url, env);
  }
  const db = openHistoryDb(checkDbArg(where.path), { readonly: true });
  const reader = new SqliteHistoryRecords(db);
  return {
    reader,
    async read(fn) {
      db.prepare('BEGIN').run();
      try {
        return await fn(reader);
      } finally {
        db.prepare('COMMIT').run();
      }
    },
    close: async () => {
      db.close();
    },
  };
}
