import type { HistoryBuilder, HistoryBuilderOptions } from '../history/history-builder.js';
import type { HistoryWriter } from '../history/history-writer.js';
import { isPostgresUrl } from '../history/postgres/pg-url.js';
import type { SourceRegistry } from './source-registry.js';
import { openSqliteIngestTarget } from './sqlite-ingest-target.js';

/**
 * Where an ingest writes: the history writer the builder calls, the source registry, and
 * the transaction around both. The ingest session speaks only this, so the same session
 * logic (resume positions, guard, commits) writes SQLite (sqlite-ingest-target.ts) and
 * PostgreSQL (history/postgres/pg-ingest-target.ts).
 */
export interface IngestTarget {
  readonly writer: HistoryWriter;
  readonly registry: SourceRegistry;
  /** What the summary and messages call the database. */
  readonly where: string;
  /** A builder over the writer; its live table is restored from the history. */
  builder(options?: HistoryBuilderOptions): HistoryBuilder;
  /**
   * What makes the hosts named by these events known to the writer, to run before the
   * builder sees them (PostgreSQL takes each new host's writer lock and reads its state:
   * asynchronous, and on the writer's connection, so the caller runs it between commits).
   * Undefined when every host is known (always on SQLite).
   */
  prepareHosts(events: readonly HostNamed[]): (() => Promise<void>) | undefined;
  begin(): void;
  /** Writes the held rows and commits the transaction (with the positions set in it). */
  commit(): Promise<void>;
  /** After a clean end with everything committed. */
  finish(): Promise<void>;
  close(): Promise<void>;
}

/** An event, or anything naming the host rows will be written for (undefined: the default host). */
export interface HostNamed {
  host?: string | undefined;
}

export interface TargetOptions {
  /** Host for records without node= (its writer lock is taken at open). */
  host?: string;
  /** Seconds to wait for another writer of the same history/host (undefined: refuse at once). */
  waitS?: number;
  /** Aborted (Ctrl-C, --duration) while waiting for that writer: give up, holding nothing. */
  stop?: AbortSignal;
}

/** Opens `db`: a PostgreSQL URL, else a SQLite file. The PostgreSQL code is loaded only when used. */
export async function openIngestTarget(db: string, options: TargetOptions = {}): Promise<IngestTarget> {
  if (isPostgresUrl(db)) {
    const { openPgIngestTarget } = await import('../history/postgres/pg-ingest-target.js');
    return openPgIngestTarget(db, options);
  }
  return openSqliteIngestTarget(db);
}
