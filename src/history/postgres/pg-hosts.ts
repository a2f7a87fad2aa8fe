import type { PgQueryable } from './pg-schema.js';

/**
 * The id of host `name`, allocating it when new. Safe for concurrent ingesters: the unique
 * index on hosts.name makes a second inserter of the same name wait for the first and then
 * do nothing; the SELECT (a new statement, so a new snapshot under READ COMMITTED) sees
 * the winner's row. Run it outside a REPEATABLE READ transaction for that reason.
 */
export async function allocateHostId(client: PgQueryable, name: string): Promise<number> {
  const inserted = await client.query('INSERT INTO hosts(name) VALUES ($1) ON CONFLICT (name) DO NOTHING RETURNING id', [name]);
  if (inserted.rows[0] !== undefined) return Number(inserted.rows[0].id);
  const existing = await client.query('SELECT id FROM hosts WHERE name = $1', [name]);
  if (existing.rows[0] === undefined) throw new Error(`host ${JSON.stringify(name)} was neither inserted nor found`);
  return Number(existing.rows[0].id);
}
