/**
 * A history spread over two PostgreSQL servers (the stock-PostgreSQL layout of
 * docs/fleet.md, built by src/history/postgres/pg-shards.ts): on the coordinator (the
 * suite's first cluster) the host tables are partitioned by host; host 'login-box' has a
 * local partition, host 'vm' a postgres_fdw foreign partition on the second cluster. Two
 * real captures of two hosts are ingested through the coordinator at the same time; every
 * query through the coordinator must answer as a single-node PostgreSQL history and as
 * SQLite holding the same two hosts.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allocateHostId } from '../../src/history/postgres/pg-hosts.js';
import { migratePostgres } from '../../src/history/postgres/pg-schema.js';
import { exampleLayoutSql, HOST_TABLES, partitionByHostSql, placeHostsLocallySql, placeHostsOnShardSql, shardServerSql } from '../../src/history/postgres/pg-shards.js';
import { runIngest } from '../../src/ingest/run-ingest.js';
import { cliInProcess } from '../cli/cli-in-process.js';
import { freshDatabase, withClient, type TestDatabase } from '../support/postgres-database.js';
import { knowable } from '../support/probe-truth.js';
import { listAuditdCaptures, repoRoot, type Capture } from '../support/truth.js';
import { pgCanonicalDump } from './pg-canonical-dump.js';
import { renumberIds, seconds } from './row-id-neutral.js';

/**
 * The two hosts. busy-machine-rotation's records carry node=vm, so its rows are host 'vm'
 * (its sources and resume state go to the ingest's default host ''); net-files-login has
 * no node=, so --host names it.
 */
const HOSTS = [
  { capture: 'busy-machine-rotation', host: 'vm', ingestHost: undefined },
  { capture: 'net-files-login', host: 'login-box', ingestHost: 'login-box' },
] as const;
/** Allocated up front in this order on both PostgreSQL histories: same host ids, so same row ids. */
const HOST_NAMES = ['', 'vm', 'login-box'];
/** Many small commits: later batches UPDATE rows earlier ones wrote, on the shard too. */
const COMMIT_EVERY = 100;

const captures = new Map(listAuditdCaptures().map((c) => [c.meta.name, c]));
let dir: string;
let sqlite: string;
const databases: TestDatabase[] = [];
let coordinator: TestDatabase;
let shard: TestDatabase;
let single: TestDatabase;

async function sql(url: string, statements: readonly string[]): Promise<void> {
  await withClient(url, async (c) => {
    for (const s of statements) await c.query(s);
  });
}

async function allocateHosts(url: string): Promise<Map<string, number>> {
  return withClient(url, async (c) => {
    const ids = new Map<string, number>();
    for (const name of HOST_NAMES) ids.set(name, await allocateHostId(c, name));
    return ids;
  });
}

const ingestAll = (db: string): Promise<unknown>[] =>
  HOSTS.map((h) => runIngest({ db, inputs: [captures.get(h.capture)!.logDir], commitEveryLines: COMMIT_EVERY, ...(h.ingestHost === undefined ? {} : { host: h.ingestHost }) }));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'proc-tree-fdw-'));
  sqlite = join(dir, 'two-hosts.db');
  coordinator = await freshDatabase('fdw_coordinator');
  shard = await freshDatabase('fdw_shard', 'pgUrl2');
  single = await freshDatabase('fdw_single');
  databases.push(coordinator, shard, single);

  // The shard: a proc-tree schema of the same version, of which the host tables are used.
  await withClient(shard.url, (c) => migratePostgres(c, 'shard'));
  await withClient(coordinator.url, (c) => migratePostgres(c, 'coordinator'));
  await sql(coordinator.url, [partitionByHostSql()]);
  const remote = new URL(shard.url);
  await sql(coordinator.url, shardServerSql({ name: 'shard2', host: remote.hostname, port: Number(remote.port), dbname: shard.name, user: 'postgres' }));
  const ids = await allocateHosts(coordinator.url);
  await sql(coordinator.url, [...placeHostsOnShardSql('shard2', [ids.get('vm')!]), ...placeHostsLocallySql('login_box', [ids.get('login-box')!])]);
  await withClient(single.url, (c) => migratePostgres(c, 'single node'));
  await allocateHosts(single.url);

  // Two ingesters at once through the coordinator, as on the single node; SQLite takes one writer at a time.
  await Promise.all(ingestAll(coordinator.url));
  await Promise.all(ingestAll(single.url));
  for (const h of HOSTS) await runIngest({ db: sqlite, inputs: [captures.get(h.capture)!.logDir], commitEveryLines: COMMIT_EVERY, ...(h.ingestHost === undefined ? {} : { host: h.ingestHost }) });
}, 120_000);

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  for (const db of databases) await db.drop();
});

type Run = { code: number; out: string; err: string };
const neutral = (r: Run, db: string): Run => ({ code: r.code, out: r.out.replaceAll(db, 'DB'), err: r.err.replaceAll(db, 'DB') });

/** One command on the three histories: the coordinator answers byte for byte as the single node (same ids), and as SQLite up to row ids. */
async function same(...args: string[]): Promise<Run> {
  const [onCoordinator, onSingle, onSqlite] = await Promise.all([coordinator.url, single.url, sqlite].map((db) => cliInProcess(...args, '--db', db)));
  const what = args.join(' ');
  expect(neutral(onCoordinator!, coordinator.url), `${what}: coordinator vs single node`).toEqual(neutral(onSingle!, single.url));
  const renumbered = (r: Run, db: string): Run => ({ ...neutral(r, db), out: renumberIds(neutral(r, db).out) });
  expect(renumbered(onCoordinator!, coordinator.url), `${what}: coordinator vs SQLite`).toEqual(renumbered(onSqlite!, sqlite));
  return onSqlite!;
}

describe('a history sharded by host over two PostgreSQL servers (postgres_fdw)', () => {
  it('stores each host where it was placed, and the same rows as a single node', async () => {
    const ids = await allocateHosts(coordinator.url); // existing names: their ids
    const count = async (url: string, table: string, hostId: number): Promise<number> =>
      withClient(url, async (c) => Number((await c.query(`SELECT count(*) AS n FROM ${table} WHERE host_id = $1`, [hostId])).rows[0]!.n));
    for (const table of HOST_TABLES.filter((t) => t !== 'sources' && t !== 'losses')) {
      // vm's rows are on the shard only; login-box's in its local partition only.
      expect(await count(shard.url, table, ids.get('vm')!), `${table} of vm on the shard`).toBeGreaterThan(0);
      expect(await count(shard.url, table, ids.get('login-box')!)).toBe(0);
      expect(await count(coordinator.url, `${table}_login_box`, ids.get('login-box')!), `${table} of login-box on the coordinator`).toBeGreaterThan(0);
      expect(await count(coordinator.url, `${table}_local`, ids.get('vm')!)).toBe(0);
    }
    // The shard's rows are only reachable through the foreign partitions: the coordinator holds none of vm's.
    expect(await count(coordinator.url, 'instances', ids.get('vm')!)).toBe(await count(shard.url, 'instances', ids.get('vm')!));
    expect(await pgCanonicalDump(coordinator.url)).toEqual(await pgCanonicalDump(single.url));
  });

  it.each(HOSTS.map((h) => [h.host, h.capture] as [string, string]))('ancestry --at every truth probe, tree, descendants, timeline, find: host %s (%s)', async (host, name) => {
    const capture: Capture = captures.get(name)!;
    const probes = capture.truth.probes;
    let found = 0;
    for (let i = 0; i < probes.length; i += 8) {
      const batch = probes.slice(i, i + 8).map((p) => same('ancestry', String(p.pid), '--at', seconds(p.atNs), '--host', host));
      for (const r of await Promise.all(batch)) if (r.code === 0) found++;
    }
    expect(found).toBeGreaterThan(probes.length / 2);
    const some = [probes[0]!, probes[Math.floor(probes.length / 2)]!, probes.at(-1)!];
    for (const p of some) {
      const at = seconds(p.atNs);
      await same('ancestry', String(p.pid), '--at', at, '--host', host, '--json');
      await same('ancestry', String(p.pid), '--at', at, '--host', host, '--lineage', 'creator');
      expect((await same('tree', '--at', at, '--host', host)).code).toBe(0);
      await same('tree', '--at', at, '--host', host, '--json');
      await same('tree', String(p.pid), '--at', at, '--host', host, '--format', 'dot');
      const root = knowable(p, capture).at(-1)!.pid;
      await same('descendants', String(root), '--at', at, '--host', host, '--json');
      await same('descendants', String(root), '--from', seconds(capture.truth.startedAtNs), '--to', seconds(capture.truth.endedAtNs), '--host', host);
      await same('timeline', String(p.pid), '--host', host);
      await same('timeline', String(p.pid), '--host', host, '--json');
      await same('find', '--cmd', p.chain[0]!.comm, '--at', at, '--host', host);
    }
    await same('find', '--user', 'root', '--host', host);
    await same('find', '--user', '0', '--from', seconds(capture.truth.startedAtNs), '--to', seconds(capture.truth.endedAtNs), '--host', host, '--json');
    // Without --host among several hosts: the same refusal (or the same pick by pid).
    await same('ancestry', String(probes[0]!.pid), '--at', seconds(probes[0]!.atNs));
    expect((await same('ancestry', '4000000', '--at', seconds(probes[0]!.atNs), '--host', host)).code).not.toBe(0);
  }, 120_000);

  it('a host allocated after the layout was made lands in the local DEFAULT partition', async () => {
    await runIngest({ db: coordinator.url, inputs: [captures.get('pid-reuse')!.logDir], host: 'late' });
    const { rows } = await withClient(coordinator.url, (c) =>
      c.query("SELECT DISTINCT tableoid::regclass::text AS part FROM instances WHERE host_id = (SELECT id FROM hosts WHERE name = 'late')"),
    );
    expect(rows.map((r) => r.part)).toEqual(['instances_local']);
  });

  it('docs/fleet.md shows the layout script pg-shards.ts builds, verbatim', () => {
    expect(readFileSync(join(repoRoot, 'docs', 'fleet.md'), 'utf8')).toContain(exampleLayoutSql());
  });
});
