import Database from 'better-sqlite3';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/cli/user-error.js';
import { allocateHostId } from '../../src/history/postgres/pg-hosts.js';
import { checkReadableSchema, loadPostgresMigrations, migratePostgres, schemaVersion } from '../../src/history/postgres/pg-schema.js';
import { freshDatabase, type TestDatabase } from '../support/postgres-database.js';

const migrations = loadPostgresMigrations();
/** Tables that are not per host: reference tables (one copy on every Citus node). */
const REFERENCE_TABLES = ['hosts', 'proc_tree_schema'];

describe('PostgreSQL schema', () => {
  let db: TestDatabase;
  let client: pg.Client;

  beforeAll(async () => {
    db = await freshDatabase('schema');
    client = await db.connect();
    await migratePostgres(client, db.name);
  });
  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  it('records every migration, numbered like the files', async () => {
    const { rows } = await client.query('SELECT version, name FROM proc_tree_schema ORDER BY version');
    expect(rows).toEqual(migrations.map((m) => ({ version: m.version, name: m.name })));
    expect(await schemaVersion(client, db.name, migrations.length)).toBe(migrations.length);
  });

  it('puts host_id first in the primary key and in every index of every per-host table', async () => {
    const { rows } = await client.query(
      `SELECT t.relname AS tbl, i.relname AS idx, a.attname AS first
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace
       LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = x.indkey[0]
       WHERE n.nspname = current_schema() ORDER BY 1, 2`,
    );
    const perHost = rows.filter((r) => !REFERENCE_TABLES.includes(r.tbl));
    expect(new Set(perHost.map((r) => r.tbl))).toEqual(new Set(['sources', 'instances', 'parents', 'images', 'losses', 'resume_state', 'writers']));
    expect(perHost.filter((r) => r.first !== 'host_id')).toEqual([]);
    const pks = await client.query(
      `SELECT c.relname AS tbl FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.conkey[1]
       WHERE k.contype = 'p' AND a.attname = 'host_id'`,
    );
    expect(new Set(pks.rows.map((r) => r.tbl))).toEqual(new Set(perHost.map((r) => r.tbl)));
  });

  it('has no sequence or default id on per-host tables: their writer allocates ids', async () => {
    const { rows } = await client.query(
      `SELECT table_name, column_name FROM information_schema.columns
       WHERE table_schema = current_schema() AND (column_default IS NOT NULL AND column_default LIKE 'nextval%' OR is_identity = 'YES')`,
    );
    expect(rows).toEqual([{ table_name: 'hosts', column_name: 'id' }]);
  });

  it('computes the lifetime class exactly as the SQLite lifetime index does', async () => {
    const ms = 1_000_000n;
    const lifetimes = [0n, 1n, ms - 1n, ms, 9n * ms, 10n * ms, 99n * ms + 999_999n, 100n * ms, 86_400_000n * ms, 7_000_000_000_000n * ms, -5n * ms];
    const start = 1_700_000_000_000_000_000n;
    await client.query('BEGIN');
    try {
      for (const [i, life] of lifetimes.entries()) {
        await client.query('INSERT INTO instances(host_id, id, pid, start_ns, start_known, end_ns) VALUES (1, $1, 100, $2, true, $3)', [i + 1, start, start + life]);
      }
      await client.query('INSERT INTO instances(host_id, id, pid, start_ns, start_known) VALUES (1, 999, 100, $1, false)', [start]);
      const pg = await client.query('SELECT id, lifetime_class FROM instances WHERE host_id = 1 ORDER BY id');
      const sqlite = new Database(':memory:');
      sqlite.defaultSafeIntegers(true);
      const expr = sqlite.prepare('SELECT CASE WHEN @e IS NULL THEN 0 ELSE length(max(@e - @s, 0) / 1000000) END AS k');
      const expected = [...lifetimes.map((life) => start + life), null].map((e) => Number((expr.get({ s: start, e }) as { k: bigint }).k));
      sqlite.close();
      expect(pg.rows.map((r) => r.lifetime_class)).toEqual(expected);
      // Closing an instance (the writer's UPDATE of end_ns) moves it to its class.
      await client.query('UPDATE instances SET end_ns = start_ns + 123000000 WHERE host_id = 1 AND id = 999');
      const closed = await client.query('SELECT lifetime_class FROM instances WHERE host_id = 1 AND id = 999');
      expect(closed.rows[0]?.lifetime_class).toBe(3);
    } finally {
      await client.query('ROLLBACK');
    }
  });

  it('lets concurrent migrators and host allocators agree: one schema, one id per name', async () => {
    const others = await Promise.all([db.connect(), db.connect(), db.connect()]);
    try {
      await Promise.all(others.map((c) => migratePostgres(c, db.name)));
      const versions = await client.query('SELECT count(*)::int AS n FROM proc_tree_schema');
      expect(versions.rows[0]?.n).toBe(migrations.length);
      const names = ['web-1', 'web-2', 'db-1', ''];
      // Each client allocates every name, the clients at once (one query at a time per client).
      const perClient = await Promise.all(
        others.map(async (c) => {
          const ids: number[] = [];
          for (const n of names) ids.push(await allocateHostId(c, n));
          return ids;
        }),
      );
      expect(perClient[1]).toEqual(perClient[0]);
      expect(perClient[2]).toEqual(perClient[0]);
      expect(new Set(perClient[0]).size).toBe(names.length);
    } finally {
      await Promise.all(others.map((c) => c.end()));
    }
  });
});

describe('PostgreSQL schema checks', () => {
  let db: TestDatabase;
  let client: pg.Client;

  beforeAll(async () => {
    db = await freshDatabase('schema_checks');
    client = await db.connect();
  });
  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  it('calls a database without proc-tree tables empty, one with other tables foreign', async () => {
    await expect(checkReadableSchema(client, 'DB')).rejects.toThrow(new UserError('DB is an empty database, not a proc-tree history: ingest a log into it first'));
    await client.query('CREATE TABLE invoices (id int)');
    await expect(checkReadableSchema(client, 'DB')).rejects.toThrow(/^DB is a PostgreSQL database of another application, not a proc-tree history: pass another --db$/);
    await client.query('CREATE TABLE instances (id int)');
    await expect(migratePostgres(client, 'DB')).rejects.toThrow(/^DB already has tables named instances that are not a proc-tree history/);
    await client.query('DROP TABLE instances, invoices');
  });

  it('refuses a schema newer than it knows, for reading and for migrating', async () => {
    await migratePostgres(client, 'DB');
    await checkReadableSchema(client, 'DB');
    const next = migrations.length + 1;
    await client.query("INSERT INTO proc_tree_schema(version, name) VALUES ($1, 'from-the-future.sql')", [next]);
    const message = `DB has history schema version ${next}, newer than this proc-tree knows (${migrations.length}): upgrade proc-tree to read it`;
    await expect(checkReadableSchema(client, 'DB')).rejects.toThrow(message);
    await expect(migratePostgres(client, 'DB')).rejects.toThrow(message);
  });
});
