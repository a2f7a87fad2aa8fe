import { checkDbArg } from './check-db-arg.js';
import type { HistoryStore } from './history-store.js';
import { openSqliteHistoryStore } from './sqlite-history-store.js';
import { urlFromPgEnv } from './postgres/pg-url.js';

/** Where the history is when nothing names it. */
export const DEFAULT_HISTORY_DB = './proc-tree.db';

export interface OpenHistoryStoreOptions {
  /** Environment to read PROC_TREE_DB and PG* from (default: process.env). */
  env?: NodeJS.ProcessEnv;
}

/** Which backend a history spec names, and where (a file path or a PostgreSQL connection string). */
export type HistoryLocation = { backend: 'sqlite'; path: string } | { backend: 'postgres'; url: string };

const isPostgresUrl = (spec: string): boolean => /^postgres(ql)?:\/\//i.test(spec);

/**
 * The history a query reads: `spec` (the --db argument: a file, or a postgres:// or
 * postgresql:// URL), else PROC_TREE_DB, else PostgreSQL from the PG* variables when PGHOST
 * or PGDATABASE is set (libpq's own convention: connection string ''), else ./proc-tree.db.
 */
export function locateHistory(spec: string | undefined, env: NodeJS.ProcessEnv = process.env): HistoryLocation {
  const given = spec ?? nonEmpty(env.PROC_TREE_DB);
  if (given !== undefined) return isPostgresUrl(given) ? { backend: 'postgres', url: given } : { backend: 'sqlite', path: given };
  if (nonEmpty(env.PGHOST) !== undefined || nonEmpty(env.PGDATABASE) !== undefined) return { backend: 'postgres', url: '' };
  return { backend: 'sqlite', path: DEFAULT_HISTORY_DB };
}

/**
 * The --db a writer (ingest, watch) uses: the history the queries would read, as one
 * string: a file path, or a postgres:// URL (built from PG* when that is where it is).
 */
export function writerDb(spec: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const where = locateHistory(spec, env);
  if (where.backend === 'sqlite') return where.path;
  return where.url !== '' ? where.url : urlFromPgEnv(env);
}

/**
 * Opens the history for queries (read-only). The PostgreSQL module (and `pg`) is loaded
 * only for a PostgreSQL history: SQLite users pay nothing for it at start-up.
 */
export async function openHistoryStore(spec: string | undefined, opts: OpenHistoryStoreOptions = {}): Promise<HistoryStore> {
  const where = locateHistory(spec, opts.env);
  if (where.backend === 'postgres') {
    const { openPgHistoryStore } = await import('./postgres/pg-history-store.js');
    return openPgHistoryStore(where.url, opts.env);
  }
  return openSqliteHistoryStore(checkDbArg(where.path));
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
