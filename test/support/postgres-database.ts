import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

/**
 * A database of its own for one test file (or test) on the suite's throwaway cluster:
 * tests never share state through PostgreSQL and need no cleanup between runs.
 */
export interface TestDatabase {
  /** postgres://postgres@127.0.0.1:PORT/NAME */
  readonly url: string;
  readonly name: string;
  /** A connected client (the caller ends it). */
  connect(): Promise<pg.Client>;
  drop(): Promise<void>;
}

export type ClusterKey = 'pgUrl' | 'pgUrl2';

/** Creates an empty database named `prefix_<random>` on the suite's first (or second) cluster. */
export async function freshDatabase(prefix: string, cluster: ClusterKey = 'pgUrl'): Promise<TestDatabase> {
  const admin = inject(cluster);
  const name = `${prefix.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  await withClient(admin, (c) => c.query(`CREATE DATABASE ${name} TEMPLATE template0`));
  const url = urlWithDatabase(admin, name);
  return {
    url,
    name,
    async connect() {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      return client;
    },
    async drop() {
      await withClient(admin, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

export function urlWithDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
