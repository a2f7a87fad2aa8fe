import { HistoryBuilder, type HistoryBuilderOptions } from './history-builder.js';
import type { HistoryStore } from './history-store.js';
import { openHistoryDb, type SqliteDatabase } from './open-history-db.js';
import { SqliteHistoryStore } from './sqlite-history-store.js';
import { SqliteHistoryWriter } from './sqlite-history-writer.js';

/**
 * A history database opened for writing: the writer, a builder over it and explicit
 * transactions. Rows are written inside `begin()`..`commit()`; the caller commits with its
 * resume position so data and position land together (kill -9 loses nothing committed).
 */
export class WritableHistory {
  readonly writer: SqliteHistoryWriter;
  private inTransaction = false;

  private constructor(readonly db: SqliteDatabase) {
    this.writer = new SqliteHistoryWriter(db);
  }

  static open(path: string): WritableHistory {
    return new WritableHistory(openHistoryDb(path));
  }

  /** A builder over this database; its live table is restored from it. */
  builder(options: HistoryBuilderOptions = {}): HistoryBuilder {
    return new HistoryBuilder(this.writer, options);
  }

  begin(): void {
    if (this.inTransaction) return;
    this.db.prepare('BEGIN').run();
    this.inTransaction = true;
  }

  /** Writes the rows the writer still holds, then commits (some callers never save the builder's state). */
  commit(): void {
    this.writer.flush();
    if (!this.inTransaction) return;
    this.db.prepare('COMMIT').run();
    this.inTransaction = false;
  }

  rollback(): void {
    if (!this.inTransaction) return;
    // A failed write (SQLITE_FULL, SQLITE_IOERR) may have rolled the transaction back already.
    if (this.db.inTransaction) this.db.prepare('ROLLBACK').run();
    this.inTransaction = false;
    this.writer.discard();
  }

  /**
   * A query view on the same connection: it sees uncommitted rows of this connection,
   * including the ones the writer still holds in memory (each read flushes them first).
   */
  store(): HistoryStore {
    return new SqliteHistoryStore(this.db, false, () => this.writer.flush());
  }

  close(): void {
    // Rows written outside begin()..commit() were committed one by one before the writer
    // held any back: keep that. Inside a transaction, closing still discards it.
    if (!this.inTransaction) this.writer.flush();
    this.rollback();
    this.db.close();
  }
}
