import { UserError } from '../../cli/user-error.js';
import type { HistoryStore } from '../history-store.js';

/** The PostgreSQL HistoryStore (queries over `pg`): being written (helper C, step 2). */
export async function openPgHistoryStore(url: string, _env?: NodeJS.ProcessEnv): Promise<HistoryStore> {
  throw new UserError(`querying a PostgreSQL history (${url || 'PG* environment'}) is not supported yet: query a SQLite file with --db FILE`);
}
