/**
 * The stock-PostgreSQL layout of a history spread over several servers (docs/fleet.md):
 * on the coordinator, the tables holding a host's rows are partitioned by LIST (host_id);
 * a host lives either in the local DEFAULT partition or in a postgres_fdw foreign partition
 * whose rows are on a shard server. Everything else stays on the coordinator. The SQL is
 * built here only, for the two-cluster test (test/postgres/fdw-shards.test.ts) and the
 * docs (which print it: `node dist/src/history/postgres/pg-shards.js`).
 *
 * What postgres_fdw cannot do, and why the layout is this one (each found by running it):
 * - A partitioned table with a foreign partition cannot have a UNIQUE index (PostgreSQL
 *   refuses to create the foreign partition). The parents get no primary key; each local
 *   partition and each shard's table has its own (host_id, id) key. A host's rows are all
 *   in one partition (host_id is the partition key and the first key column), so the
 *   per-partition keys are as strong as one key on the whole table.
 * - Without that index, INSERT ... ON CONFLICT (cols) DO UPDATE has no arbiter, and
 *   postgres_fdw does not support ON CONFLICT DO UPDATE at all: `writers` and
 *   `resume_state`, written by upsert, stay unpartitioned on the coordinator (one row per
 *   host or a few, read once when a writer takes its host). So do `hosts` and
 *   `proc_tree_schema` (Citus reference tables).
 * - COPY into the partitioned table routes rows to foreign partitions (PostgreSQL 11+),
 *   as INSERTs on the shard; UPDATE ... FROM unnest(...) works too, row by row on the shard.
 * - Ingest goes through the coordinator, never into a shard directly: host ids come from
 *   the coordinator's `hosts` (a shard's own sequence would hand out clashing ids) and the
 *   one-writer-per-host advisory lock lives on the coordinator.
 */

/** Tables whose rows belong to one host: partitioned by host, placed on shards. */
export const HOST_TABLES = ['sources', 'instances', 'parents', 'images', 'losses'] as const;

/** Where a shard server listens and which database holds its tables. */
export interface ShardServer {
  /** Name of the foreign server on the coordinator ([a-z_][a-z0-9_]*). */
  name: string;
  host: string;
  port: number;
  dbname: string;
  /** The role on the shard the coordinator's user maps to. */
  user: string;
  password?: string;
}

const IDENT = /^[a-z_][a-z0-9_]*$/;
const literal = (s: string): string => `'${s.replaceAll("'", "''")}'`;

function ident(name: string): string {
  if (!IDENT.test(name)) throw new Error(`not a plain SQL identifier: ${JSON.stringify(name)}`);
  return name;
}

function hostList(hostIds: readonly number[]): string {
  if (hostIds.length === 0 || hostIds.some((h) => !Number.isInteger(h) || h < 1)) throw new Error(`host ids must be positive integers, got ${JSON.stringify(hostIds)}`);
  return hostIds.join(', ');
}

/**
 * Coordinator, once, on a freshly migrated and still empty history: each host table
 * becomes a table partitioned by LIST (host_id) with the same columns (the generated
 * lifetime_class included) and non-unique indexes, plus a DEFAULT partition `<table>_local`
 * holding every host not placed on a shard, with the primary key. Refuses a non-empty table
 * (rows would have to be moved: detach, copy, attach).
 */
export function partitionByHostSql(): string {
  return `DO $$
DECLARE
  t text;
  old text;
  index_defs text[];
  pk text;
  d text;
  has_rows boolean;
BEGIN
  FOREACH t IN ARRAY ARRAY[${HOST_TABLES.map(literal).join(', ')}] LOOP
    IF (SELECT relkind FROM pg_class WHERE oid = t::regclass) = 'p' THEN CONTINUE; END IF;
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I)', t) INTO has_rows;
    IF has_rows THEN RAISE EXCEPTION 'table % already holds rows: partition a history before its first ingest', t; END IF;
    SELECT array_agg(pg_get_indexdef(indexrelid) ORDER BY indexrelid) INTO index_defs FROM pg_index WHERE indrelid = t::regclass AND NOT indisunique;
    SELECT pg_get_constraintdef(oid) INTO pk FROM pg_constraint WHERE conrelid = t::regclass AND contype = 'p';
    old := t || '_unpartitioned';
    EXECUTE format('ALTER TABLE %I RENAME TO %I', t, old);
    EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING CONSTRAINTS INCLUDING COMMENTS) PARTITION BY LIST (host_id)', t, old);
    EXECUTE format('DROP TABLE %I', old);
    -- The definitions name the table by its old name, which the new table now has.
    FOREACH d IN ARRAY coalesce(index_defs, '{}') LOOP EXECUTE d; END LOOP;
    EXECUTE format('CREATE TABLE %I PARTITION OF %I DEFAULT', t || '_local', t);
    EXECUTE format('ALTER TABLE %I ADD %s', t || '_local', pk);
  END LOOP;
END $$`;
}

/**
 * Coordinator: the foreign server of a shard and the mapping of the current user to a role
 * on it. use_remote_estimate lets the planner cost the parameterized lookups of the
 * ancestry walk on the shard's indexes instead of guessing (it would pick full scans).
 */
export function shardServerSql(s: ShardServer): string[] {
  const name = ident(s.name);
  const userOptions = [`user ${literal(s.user)}`, ...(s.password === undefined ? [] : [`password ${literal(s.password)}`])];
  return [
    'CREATE EXTENSION IF NOT EXISTS postgres_fdw',
    `CREATE SERVER ${name} FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host ${literal(s.host)}, port ${literal(String(s.port))}, dbname ${literal(s.dbname)}, use_remote_estimate 'true', fetch_size '10000')`,
    `CREATE USER MAPPING FOR CURRENT_USER SERVER ${name} OPTIONS (${userOptions.join(', ')})`,
  ];
}

/**
 * Coordinator: hosts `hostIds` (ids from `hosts`, allocated before their first ingest) live
 * on shard `server`: one foreign partition per host table, `<table>_<server>`, naming the
 * shard's table of the same name. The shard holds a proc-tree schema of the same version
 * (migratePostgres, as any history), of which only these tables are used; a later
 * migration must run on every shard too.
 */
export function placeHostsOnShardSql(server: string, hostIds: readonly number[]): string[] {
  const s = ident(server);
  const values = hostList(hostIds);
  return HOST_TABLES.map((t) => `CREATE FOREIGN TABLE ${t}_${s} PARTITION OF ${t} FOR VALUES IN (${values}) SERVER ${s} OPTIONS (table_name ${literal(t)})`);
}

/**
 * Coordinator: hosts `hostIds` get a local partition of their own (`<table>_<name>`), so
 * that they can later be moved to a shard by detaching one partition.
 */
export function placeHostsLocallySql(name: string, hostIds: readonly number[]): string[] {
  const n = ident(name);
  const values = hostList(hostIds);
  return HOST_TABLES.flatMap((t) => [`CREATE TABLE ${t}_${n} PARTITION OF ${t} FOR VALUES IN (${values})`, `ALTER TABLE ${t}_${n} ADD PRIMARY KEY (host_id, id)`]);
}

/**
 * The layout of docs/fleet.md as one script (its example server and host ids): the docs
 * show exactly this text, which a test checks. `node dist/src/history/postgres/pg-shards.js`
 * prints it.
 */
export function exampleLayoutSql(): string {
  const shard: ShardServer = { name: 'shard2', host: 'shard2.example', port: 5432, dbname: 'proc_tree', user: 'proc_tree' };
  const out = [
    '-- coordinator, after `proc-tree ingest` created the schema (or migratePostgres), before any rows:',
    `${partitionByHostSql()};`,
    ...shardServerSql(shard).map((s) => `${s};`),
    "-- host 'web-1' (id 1) gets a local partition; 'web-2' (id 2) goes to shard2; any other host: the local DEFAULT partition",
    "INSERT INTO hosts(name) VALUES ('web-1'), ('web-2');",
    ...placeHostsLocallySql('web_1', [1]).map((s) => `${s};`),
    ...placeHostsOnShardSql(shard.name, [2]).map((s) => `${s};`),
  ];
  return `${out.join('\n')}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(exampleLayoutSql());
