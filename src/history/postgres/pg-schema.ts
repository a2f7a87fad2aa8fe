import { join } from 'node:path';
import { UserError } from '../../cli/user-error.js';
import { findSchemaDir, loadMigrations, type Migration } from '../migrations.js';

/** The slice of a `pg` client the schema code uses (a Client, a PoolClient). */
export interface PgQueryable {
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

/**
 * Advisory lock keys of proc-tree, two-int form (class, object): class is the history's
 * application id, ASCII "ptre" (as SQLite's PRAGMA application_id); object 0 guards
 * migrations; a host's writer lock is (class, host id) (host ids start at 1).
 */
export const PG_LOCK_CLASS = 0x70747265;
export const PG_MIGRATION_LOCK = 0;

/** The PostgreSQL migrations, schema/postgres/NNN-name.sql, numbered without gaps. */
export function loadPostgresMigrations(): Migration[] {
  return loadMigrations(join(findSchemaDir(), 'postgres'));
}

/**
 * The schema version of the database `where` names (0: no proc-tree schema). Refuses a
 * version newer than `known` with the message SQLite gives.
 */
export async function schemaVersion(client: PgQueryable, where: string, known: number): Promise<number> {
  // Two statements: a statement naming a missing table fails when planned, whatever its CASE says.
  const exists = await client.query("SELECT to_regclass('proc_tree_schema') IS NOT NULL AS e");
  if (exists.rows[0]?.e !== true) return 0;
  const { rows } = await client.query('SELECT coalesce(max(version), 0) AS v FROM proc_tree_schema');
  const version = Number(rows[0]?.v ?? 0);
  if (version > known) {
    throw new UserError(`${where} has history schema version ${version}, newer than this proc-tree knows (${known}): upgrade proc-tree to read it`);
  }
  return version;
}

/**
 * For queries: the database must hold a proc-tree history of a version we know. The
 * messages follow SQLite's (open-history-db.ts) for the same situations.
 */
export async function checkReadableSchema(client: PgQueryable, where: string, migrations: Migration[] = loadPostgresMigrations()): Promise<void> {
  if ((await schemaVersion(client, where, migrations.length)) > 0) return;
  const { rows } = await client.query(
    "SELECT count(*) AS n FROM pg_catalog.pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')",
  );
  if (Number(rows[0]?.n ?? 0) > 0) {
    throw new UserError(`${where} is a PostgreSQL database of another application, not a proc-tree history: pass another --db`);
  }
  throw new UserError(`${where} is an empty database, not a proc-tree history: ingest a log into it first`);
}

/**
 * Creates or upgrades the schema. Concurrent ingesters may start together: the advisory
 * lock makes the second wait for the first's migrations, then find nothing to do. Each
 * step's DDL and its proc_tree_schema row commit together.
 */
export async function migratePostgres(client: PgQueryable, where: string, migrations: Migration[] = loadPostgresMigrations()): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, $2)', [PG_LOCK_CLASS, PG_MIGRATION_LOCK]);
    const version = await schemaVersion(client, where, migrations.length);
    if (version === 0) await refuseForeignDatabase(client, where);
    for (const m of migrations) {
      if (m.version <= version) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO proc_tree_schema(version, name) VALUES ($1, $2)', [m.version, m.name]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** Our tables must not land among another application's (or clash with its names). */
async function refuseForeignDatabase(client: PgQueryable, where: string): Promise<void> {
  const { rows } = await client.query(
    "SELECT string_agg(tablename, ', ' ORDER BY tablename) AS names FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = ANY($1)",
    [['hosts', 'sources', 'instances', 'parents', 'images', 'losses', 'resume_state', 'writers']],
  );
  const names = rows[0]?.names;
  if (typeof names === 'string' && names !== '') {
    throw new UserError(`${where} already has tables named ${names} that are not a proc-tree history: pass another --db (a database of its own)`);
  }
}
