import type { HistoryRecordsReader } from './history-records.js';
import { openHistoryDb } from './open-history-db.js';
import { SqliteHistoryRecords } from './sqlite-history-records.js';

export interface OpenedHistoryRecords {
  reader: HistoryRecordsReader;
  /**
   * Runs `fn` on one consistent snapshot (a read transaction): an export taken while an
   * ingest commits still describes one moment of the database.
   */
  read<T>(fn: (reader: HistoryRecordsReader) => Promise<T>): Promise<T>;
  close(): void;
}

/** Opens a history file read-only for bulk reads (a missing or foreign file is a UserError). */
export function openHistoryRecords(path: string): OpenedHistoryRecords {
  const db = openHistoryDb(path, { readonly: true });
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
    close: () => db.close(),
  };
}
