/**
 * Fleet figures (issue 13, docs/fleet.md): ingest into PostgreSQL with one and with two
 * concurrent ingesters (different hosts) against SQLite, same log, same run; and queries on
 * a 1,000,000-instance history on PostgreSQL beside the same history on SQLite.
 *
 * The server: PROC_TREE_BENCH_PG (a superuser URL; the section creates and drops its own
 * databases there), else a throwaway PostgreSQL cluster as the tests start one
 * (test/support/postgres-cluster.ts: local socket and TCP on 127.0.0.1, fsync=off,
 * synchronous_commit=off, shared_buffers=32MB), stopped and deleted at the end.
 */
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { ancestryAt } from '../../src/history/ancestry-at.js';
import { WritableHistory } from '../../src/history/history-database.js';
import type { HistoryStore } from '../../src/history/history-store.js';
import { openHistoryStore } from '../../src/history/open-history-store.js';
import { treeAt } from '../../src/history/tree-at.js';
import { openIngestTarget } from '../../src/ingest/ingest-target.js';
import { initTemplate, startCluster, type PostgresCluster } from '../../test/support/postgres-cluster.js';
import { syntheticHost, type Sample } from '../fleet/synthetic-host-events.js';
import type { BenchContext } from '../harness/bench-context.js';
import type { BenchInput } from '../harness/bench-inputs.js';
import { measureCommand } from '../harness/measure-command.js';
import { fixed, MiB, si, summarizeLatencies, type LatencySummary } from '../harness/stats.js';
import type { TextTable } from '../harness/text-table.js';

export interface FleetIngestRun {
  backend: 'SQLite' | 'PostgreSQL';
  ingesters: number;
  /** Until the last ingester finished. */
  wallS: number;
  /** user + sys of all ingester processes (the server's CPU is not in it). */
  cpuS: number;
  /** All ingesters' lines over wallS. */
  linesPerS: number;
  problem?: string;
}

export interface FleetQuery {
  backend: 'SQLite' | 'PostgreSQL';
  query: string;
  latency: LatencySummary;
  errors: number;
}

export interface FleetResult {
  server: string;
  input?: { label: string; lines: number; bytes: number };
  ingest: FleetIngestRun[];
  history?: { instances: number; events: number; builds: { backend: string; seconds: number; bytes?: number }[] };
  queries: FleetQuery[];
  problem?: string;
}

const COMMIT_EVERY_EVENTS = 50_000;
const ANCESTRY_CALLS = 2_000;
const TREE_CALLS = 50;

interface Server {
  url: string;
  label: string;
  stop(): void;
}

async function openServer(): Promise<Server> {
  const given = process.env.PROC_TREE_BENCH_PG;
  if (given !== undefined && given !== '') return { url: given, label: 'PROC_TREE_BENCH_PG', stop: () => undefined };
  const template = initTemplate();
  let cluster: PostgresCluster;
  try {
    cluster = await startCluster(template.dataDir, false);
  } catch (error) {
    rmSync(template.dir, { recursive: true, force: true });
    throw error;
  }
  return { url: cluster.url, label: 'throwaway cluster on 127.0.0.1 (fsync=off, synchronous_commit=off, shared_buffers=32MB)', stop: () => cluster.stop() };
}

async function admin<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A new empty database on the server: its URL. */
async function createDatabase(server: Server, name: string): Promise<string> {
  await admin(server.url, async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${name} TEMPLATE template0`);
  });
  const u = new URL(server.url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function databaseSize(url: string): Promise<number> {
  return admin(url, async (c) => Number((await c.query('SELECT pg_database_size(current_database()) AS b')).rows[0]!.b));
}

/** `ingesters` CLI ingests of `input` at once into `db`, each as its own host. */
async function ingestRun(ctx: BenchContext, backend: FleetIngestRun['backend'], db: string, input: BenchInput, ingesters: number): Promise<FleetIngestRun> {
  const argv = (i: number): string[] => ctx.cli.argv(['ingest', '--db', db, '--host', `fleet-${i + 1}`, input.file]);
  ctx.log(`  fleet ingest: ${backend}, ${ingesters} at once: ${argv(0).slice(-6).join(' ')}`);
  const started = performance.now();
  const runs = await Promise.all(Array.from({ length: ingesters }, (_, i) => measureCommand(argv(i))));
  const wallS = (performance.now() - started) / 1000;
  const run: FleetIngestRun = { backend, ingesters, wallS, cpuS: runs.reduce((s, r) => s + r.userS + r.sysS, 0), linesPerS: (input.lines * ingesters) / wallS };
  const failed = runs.find((r) => r.exitCode !== 0);
  if (failed !== undefined) run.problem = `exit ${failed.exitCode}: ${failed.stderrTail.trim().split('\n').pop() ?? ''}`;
  return run;
}

/** The synthetic 1M-instance host through the history builder into `db` (SQLite file or PostgreSQL URL). */
async function buildHistory(db: string, instances: number): Promise<{ seconds: number; events: number; samples: Sample[] }> {
  const host = syntheticHost(instances, ANCESTRY_CALLS * 2);
  const started = performance.now();
  let events = 0;
  if (db.startsWith('postgres')) {
    const target = await openIngestTarget(db, {});
    try {
      const builder = target.builder();
      target.begin();
      for (const e of host.events) {
        builder.onEvent(e);
        if (++events % COMMIT_EVERY_EVENTS === 0) {
          builder.saveState();
          await target.commit();
          target.begin();
        }
      }
      builder.saveState();
      await target.commit();
      await target.finish();
    } finally {
      await target.close();
    }
    await admin(db, (c) => c.query('VACUUM ANALYZE'));
  } else {
    const history = WritableHistory.open(db);
    const builder = history.builder();
    history.begin();
    for (const e of host.events) {
      builder.onEvent(e);
      if (++events % COMMIT_EVERY_EVENTS === 0) {
        builder.saveState();
        history.commit();
        history.begin();
      }
    }
    builder.saveState();
    history.commit();
    history.db.pragma('wal_checkpoint(TRUNCATE)');
    history.close();
  }
  return { seconds: (performance.now() - started) / 1000, events, samples: host.samples };
}

async function timed(calls: number, call: (i: number) => Promise<unknown>): Promise<{ latency: LatencySummary; errors: number }> {
  for (let i = 0; i < Math.min(50, calls); i++) await call(i).catch(() => undefined); // warm-up: JIT, caches
  const ms: number[] = [];
  let errors = 0;
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    await call(i).catch(() => errors++);
    ms.push(performance.now() - t0);
  }
  return { latency: summarizeLatencies(ms), errors };
}

async function historyQueries(backend: FleetQuery['backend'], db: string, samples: Sample[]): Promise<FleetQuery[]> {
  const store: HistoryStore = await openHistoryStore(db);
  try {
    const at = (i: number): Sample => samples[(i * 7919) % samples.length]!;
    const ancestry = await timed(ANCESTRY_CALLS, (i) => ancestryAt(store, { host: '', pid: at(i).pid, atNs: at(i).atNs }));
    const tree = await timed(TREE_CALLS, (i) => treeAt(store, { host: '', atNs: at(i).atNs }));
    return [
      { backend, query: 'ancestryAt(pid, T)', ...ancestry },
      { backend, query: 'treeAt(T), whole host', ...tree },
    ];
  } finally {
    await store.close();
  }
}

export async function measureFleet(ctx: BenchContext, input: BenchInput, instances: number): Promise<FleetResult> {
  let server: Server;
  try {
    server = await openServer();
  } catch (error) {
    return { server: 'none', ingest: [], queries: [], problem: `no PostgreSQL server: ${(error as Error).message.split('\n')[0]}` };
  }
  const result: FleetResult = { server: server.label, input: { label: input.label, lines: input.lines, bytes: input.bytes }, ingest: [], queries: [] };
  try {
    await measureCommand(['cat', input.file]); // page cache warm for every run
    const sqlite = join(ctx.scratchDir, 'fleet-ingest.db');
    result.ingest.push(await ingestRun(ctx, 'SQLite', sqlite, input, 1));
    rmSync(sqlite, { force: true });
    result.ingest.push(await ingestRun(ctx, 'PostgreSQL', await createDatabase(server, 'fleet_ingest_one'), input, 1));
    result.ingest.push(await ingestRun(ctx, 'PostgreSQL', await createDatabase(server, 'fleet_ingest_two'), input, 2));

    ctx.log(`  fleet history: ${instances} instances into SQLite and PostgreSQL through the history builder`);
    const sqliteDb = join(ctx.scratchDir, 'fleet-history.db');
    const pgDb = await createDatabase(server, 'fleet_history');
    const onSqlite = await buildHistory(sqliteDb, instances);
    const onPg = await buildHistory(pgDb, instances);
    result.history = {
      instances,
      events: onPg.events,
      builds: [
        { backend: 'SQLite', seconds: onSqlite.seconds, bytes: statSync(sqliteDb).size },
        { backend: 'PostgreSQL', seconds: onPg.seconds, bytes: await databaseSize(pgDb) },
      ],
    };
    ctx.log('  fleet queries on both');
    result.queries.push(...(await historyQueries('SQLite', sqliteDb, onSqlite.samples)));
    result.queries.push(...(await historyQueries('PostgreSQL', pgDb, onPg.samples)));
    rmSync(sqliteDb, { force: true });
  } catch (error) {
    result.problem = (error as Error).message.split('\n')[0];
  } finally {
    server.stop();
  }
  return result;
}

export function fleetTables(f: FleetResult): TextTable[] {
  const notes = [`server: ${f.server}`];
  if (f.problem) notes.push(`problem: ${f.problem}`);
  const sqlite = f.ingest.find((r) => r.backend === 'SQLite');
  const ingest: TextTable = {
    title: `Fleet ingest: ${f.input?.label ?? '-'} (${si(f.input?.lines ?? NaN)} lines, ${fixed((f.input?.bytes ?? NaN) / MiB, 0)} MiB per ingester, each its own --host)`,
    header: ['backend', 'ingesters', 'wall s', 'CPU s', 'lines/s (all)', 'lines/s per ingester', 'x SQLite'],
    rows: f.ingest.map((r) => [
      r.backend, String(r.ingesters), fixed(r.wallS, 1), fixed(r.cpuS, 1), si(r.linesPerS), si(r.linesPerS / r.ingesters), sqlite === undefined ? '-' : fixed(r.linesPerS / sqlite.linesPerS, 2),
    ]),
    notes: [...notes, ...f.ingest.filter((r) => r.problem).map((r) => `${r.backend} x${r.ingesters}: ${r.problem}`)],
  };
  const queries: TextTable = {
    title: `Fleet queries on ${si(f.history?.instances ?? NaN)} instances (library calls, ms)`,
    header: ['backend', 'query', 'calls', 'p50', 'p99', 'max', 'errors'],
    rows: f.queries.map((q) => [q.backend, q.query, String(q.latency.count), fixed(q.latency.p50Ms, 3), fixed(q.latency.p99Ms, 3), fixed(q.latency.maxMs, 3), String(q.errors)]),
    notes: (f.history?.builds ?? []).map((b) => `${b.backend}: built in ${fixed(b.seconds, 1)} s (${si((f.history?.events ?? 0) / b.seconds)} events/s), ${fixed((b.bytes ?? NaN) / MiB, 0)} MiB`),
  };
  return [ingest, queries];
}
