import pg from 'pg';
import { UserError } from '../../cli/user-error.js';
import { redactUrl } from './pg-url.js';

/**
 * A connected client handed to `setUp` (schema checks, locks, first reads), closed again
 * when that fails, so no command leaves a connection behind on a bad database. A server
 * that cannot be reached is a UserError naming `where` (the URL without its password).
 */
export async function connectPg<T>(config: pg.ClientConfig, where: string, setUp: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(config);
  try {
    await client.connect();
  } catch (error) {
    throw new UserError(`cannot connect to ${where}: ${(error as Error).message}`);
  }
  client.on('error', () => undefined); // a dropped connection fails the next query, which says so
  try {
    return await setUp(client);
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
}

/** Connection settings for a query: `url`, or '' for the PG* variables of `env` (libpq's convention). */
export function pgConfig(url: string, env: NodeJS.ProcessEnv): pg.ClientConfig {
  return url === '' ? fromEnv(env) : { connectionString: url };
}

/** How messages name that database (never with its password). */
export function pgWhere(url: string): string {
  return url === '' ? 'the PostgreSQL database of the PG* environment' : redactUrl(url);
}

/** The PG* variables of `env` as `pg` settings (`pg` itself reads only process.env). */
function fromEnv(env: NodeJS.ProcessEnv): pg.ClientConfig {
  const set = (v: string | undefined): string | undefined => (v === undefined || v === '' ? undefined : v);
  const config: pg.ClientConfig = {};
  if (set(env.PGHOST)) config.host = env.PGHOST;
  if (set(env.PGPORT)) config.port = Number(env.PGPORT);
  if (set(env.PGUSER)) config.user = env.PGUSER;
  if (set(env.PGPASSWORD)) config.password = env.PGPASSWORD;
  if (set(env.PGDATABASE)) config.database = env.PGDATABASE;
  return config;
}
