import { isPostgresUrl } from '../history/postgres/pg-url.js';
import { checkDbPath } from './check-db-path.js';
import type { IngestSummary } from './ingest-summary.js';
import { runIngest, type IngestOptions } from './run-ingest.js';
import { asOnlyWriter } from './writer-lock-for.js';
import type { AcquireOptions } from './writer-lock.js';

/** A run as the database's only writer: its command line, and how to queue behind another. */
export interface WriterSetup {
  command: string;
  lock: AcquireOptions;
}

/**
 * `proc-tree ingest INPUT...` (not --follow) as the only writer of the history: the path
 * every command that ingests before it reads goes through (ingest itself, enrich).
 */
export async function ingestAsWriter(options: IngestOptions, writer: WriterSetup): Promise<IngestSummary> {
  // PostgreSQL: one writer per host, by the ingest's own advisory lock (pg-writer-lock.ts).
  if (isPostgresUrl(options.db)) return runIngest({ ...options, ...(writer.lock.wait !== undefined ? { waitS: writer.lock.wait } : {}) });
  await checkDbPath(options.db);
  return asOnlyWriter(options.db, writer.command, writer.lock, () => runIngest(options));
}
