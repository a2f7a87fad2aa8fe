import type { HistoryBuilder, HistoryBuilderOptions } from '../history/history-builder.js';
import { WritableHistory } from '../history/history-database.js';
import { leaveSelfContained } from '../history/open-history-db.js';
import { UserError } from '../cli/user-error.js';
import type { HostNamed, IngestTarget } from './ingest-target.js';
import { EXIT_IOERR, writeFailure } from './writer-lock-errors.js';
import { SqliteSourceRegistry } from './source-registry.js';

/** The ingest target on a SQLite history file: synchronous underneath. */
export class SqliteIngestTarget implements IngestTarget {
  readonly registry: SqliteSourceRegistry;

  constructor(
    readonly history: WritableHistory,
    readonly where: string,
  ) {
    this.registry = new SqliteSourceRegistry(history.db);
  }

  get writer(): WritableHistory['writer'] {
    return this.history.writer;
  }

  builder(options?: HistoryBuilderOptions): HistoryBuilder {
    return this.history.builder(options);
  }

  /** Hosts are allocated by the writer on first use, synchronously. */
  prepareHosts(_events: readonly HostNamed[]): undefined {
    return undefined;
  }

  begin(): void {
    this.history.begin();
  }

  async commit(): Promise<void> {
    this.history.commit();
  }

  /** No -wal/-shm needed by whoever reads the file next (a write-protected evidence copy cannot create them). */
  async finish(): Promise<void> {
    try {
      leaveSelfContained(this.history.db);
    } catch (error) {
      // Everything is committed, but its last part stays in FILE-wal (the checkpoint that
      // folds it into FILE found no room): not done, since a copy of FILE alone lacks it.
      const failure = writeFailure(error, this.where);
      if (failure === undefined) throw error;
      throw new UserError(
        `${this.where}: everything was committed, but its last part stays in ${this.where}-wal: ${failure}; queries here read it; free some space, then run the same command again to fold it into ${this.where}`,
        EXIT_IOERR,
      );
    }
  }

  async close(): Promise<void> {
    this.history.close();
  }
}

export function openSqliteIngestTarget(path: string): SqliteIngestTarget {
  return new SqliteIngestTarget(WritableHistory.open(path), path);
}
