import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchContext } from '../harness/bench-context.js';
import { syntheticInput } from '../harness/bench-inputs.js';
import { measureCommand } from '../harness/measure-command.js';
import type { CommandRun } from '../harness/measure-command.js';
import { databaseBytes, removeDatabase } from '../harness/proc-tree-cli.js';
import { fixed, MiB, si, summarizeLatencies } from '../harness/stats.js';
import type { LatencySummary } from '../harness/stats.js';
import type { TextTable } from '../harness/text-table.js';
import type { Probe } from '../generate-audit-log.js';
import { libraryQueries } from './library-queries.js';
import type { LibraryQueryResult } from './library-queries.js';

/** The log the query database is built from: lean (no noise) so a million instances stay near 2 GB. */
function queryLogOptions(instances: number) {
  return {
    format: 'raw' as const,
    seed: 7,
    sizeBytes: Number.MAX_SAFE_INTEGER,
    maxProcesses: instances,
    live: 2000,
    noiseShare: 0,
    failedExecShare: 0,
    longArgsShare: 0,
    probes: 2000,
  };
}

export interface QueryDatabase {
  db: string;
  /** The generated log the database was ingested from. */
  logFile: string;
  instances: number;
  logBytes: number;
  logLines: number;
  dbBytes: number;
  probes: Probe[];
  build?: CommandRun;
}

export interface CliQueryResult {
  query: string;
  example: string;
  latency: LatencySummary;
  failures: number;
  firstFailure?: string;
}

export interface QueriesResult {
  database?: Omit<QueryDatabase, 'probes' | 'logFile'>;
  library: LibraryQueryResult[];
  libraryProblem?: string;
  cli: CliQueryResult[];
  problem?: string;
}

/**
 * Builds (once, cached in bench/data) a database of `instances` process instances by
 * ingesting a generated log, and reuses it while the log options and the schema are unchanged.
 */
export async function queryDatabase(ctx: BenchContext, instances: number, rebuild: boolean): Promise<QueryDatabase> {
  const options = queryLogOptions(instances);
  const input = syntheticInput(ctx.dataDir, `query-log-${instances}`, 'query log', options, ctx.log);
  const dir = join(ctx.dataDir, `query-db-${instances}`);
  mkdirSync(dir, { recursive: true });
  const db = join(dir, 'proc-tree.db');
  const marker = join(dir, 'built-from.json');
  const key = JSON.stringify({ log: input.summary.options, schema: schemaHash(ctx.repoRoot), bytes: input.bytes });
  const probes = (JSON.parse(readFileSync(input.summary.probesFile, 'utf8')) as { probes: Probe[] }).probes;
  const created = input.summary.hosts.reduce((n, h) => n + h.counts.processes + h.counts.preExisting, 0);
  let build: CommandRun | undefined;
  if (rebuild || !existsSync(db) || !existsSync(marker) || readFileSync(marker, 'utf8') !== key) {
    removeDatabase(db);
    ctx.log(`  building the query database: proc-tree ingest --db ${db} ${input.file} (${fixed(input.bytes / MiB, 0)} MiB, once)`);
    build = await measureCommand(ctx.cli.argv(['ingest', '--db', db, input.file]));
    if (build.exitCode !== 0) throw new Error(`building the query database failed (exit ${build.exitCode}): ${build.stderrTail.trim().split('\n').pop()}`);
    writeFileSync(marker, key);
  }
  return { db, logFile: input.file, instances: created, logBytes: input.bytes, logLines: input.lines, dbBytes: databaseBytes(db), probes, build };
}

/** Schema files decide whether a cached database is still valid. */
function schemaHash(repoRoot: string): string {
  const dir = join(repoRoot, 'schema');
  const hash = createHash('sha256');
  // Recursive: schema/ holds the PostgreSQL schema in a folder of its own.
  if (existsSync(dir)) for (const f of readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name)).sort()) hash.update(f.slice(dir.length)).update(readFileSync(f));
  return hash.digest('hex').slice(0, 16);
}

/** ISO time with ns digits from a probe's epoch-ns string, for the CLI's --at. */
export function probeTime(atNs: string): string {
  const ns = BigInt(atNs);
  const s = ns / 1_000_000_000n;
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return `${s}.${frac}`;
}

/**
 * End-to-end CLI latency: a fresh `node` process per call, as a user or a script pays it.
 * `calls` per query kind.
 */
export async function cliQueries(ctx: BenchContext, qdb: QueryDatabase, calls: number): Promise<CliQueryResult[]> {
  const probes = qdb.probes.filter((p) => p.chain.length > 1);
  const pick = (i: number): Probe => probes[Math.floor((i * probes.length) / calls)] as Probe;
  const kinds: { query: string; args: (p: Probe) => string[] }[] = [
    { query: 'ancestry PID --at T', args: (p) => ['ancestry', String(p.pid), '--at', probeTime(p.atNs), '--db', qdb.db, '--json'] },
    { query: 'tree --at T', args: (p) => ['tree', '--at', probeTime(p.atNs), '--db', qdb.db, '--format', 'json'] },
    { query: 'descendants PID --at T', args: (p) => ['descendants', String(p.pid), '--at', probeTime(p.atNs), '--db', qdb.db, '--json'] },
    { query: 'find --cmd S --at T', args: (p) => ['find', '--cmd', p.comm, '--at', probeTime(p.atNs), '--db', qdb.db, '--json'] },
  ];
  const results: CliQueryResult[] = [];
  // The floor every CLI call pays on this machine right now: starting node itself.
  const floor: number[] = [];
  for (let i = 0; i < calls; i++) floor.push((await measureCommand([process.execPath, '-e', '0'])).wallS * 1000);
  results.push({ query: '(floor: node -e 0)', example: `${process.execPath} -e 0`, latency: summarizeLatencies(floor), failures: 0 });
  for (const kind of kinds) {
    const command = kind.query.split(' ')[0] as string;
    const unavailable = ctx.cli.unavailable(command);
    if (unavailable !== undefined) {
      results.push({ query: kind.query, example: '', latency: summarizeLatencies([]), failures: 0, firstFailure: unavailable });
      continue;
    }
    const ms: number[] = [];
    let failures = 0;
    let firstFailure: string | undefined;
    for (let i = 0; i < calls; i++) {
      const run = await measureCommand(ctx.cli.argv(kind.args(pick(i))), { captureStdout: false });
      ms.push(run.wallS * 1000);
      if (run.exitCode !== 0) {
        failures++;
        firstFailure ??= `exit ${run.exitCode}: ${run.stderrTail.trim().split('\n').pop() ?? ''}`;
      }
    }
    results.push({ query: kind.query, example: ['proc-tree', ...kind.args(pick(0))].join(' '), latency: summarizeLatencies(ms), failures, firstFailure });
  }
  return results;
}

export async function measureQueries(ctx: BenchContext, instances: number, calls: number, rebuild: boolean): Promise<QueriesResult> {
  const unavailable = ctx.cli.unavailable('ingest');
  if (unavailable !== undefined) return { library: [], cli: [], problem: `no query database: ${unavailable}` };
  const qdb = await queryDatabase(ctx, instances, rebuild);
  const { probes, logFile: _logFile, ...database } = qdb;
  let library: LibraryQueryResult[] = [];
  let libraryProblem: string | undefined;
  try {
    library = await libraryQueries(ctx, qdb);
  } catch (error) {
    libraryProblem = (error as Error).message;
  }
  const cli = await cliQueries(ctx, qdb, calls);
  return { database, library, libraryProblem, cli };
}

export function queriesTable(q: QueriesResult): TextTable {
  const rows: string[][] = [];
  for (const l of q.library) {
    const note = [l.agreement, l.errors > 0 ? `${l.errors} threw` : undefined].filter((x) => x !== undefined).join(', ');
    rows.push([`library: ${l.query}`, String(l.latency.count), fixed(l.latency.p50Ms, 3), fixed(l.latency.p99Ms, 3), fixed(l.latency.maxMs, 3), note]);
  }
  for (const c of q.cli) rows.push([c.query.startsWith('(') ? `CLI ${c.query}` : `CLI: proc-tree ${c.query}`, String(c.latency.count), fixed(c.latency.p50Ms, 1), fixed(c.latency.p99Ms, 1), fixed(c.latency.maxMs, 1), c.failures > 0 ? `${c.failures} failed` : '']);
  const notes: string[] = [];
  if (q.database) {
    notes.push(
      `database: ${si(q.database.instances)} process instances from a ${fixed(q.database.logBytes / MiB, 0)} MiB log (${si(q.database.logLines)} lines), ${fixed(q.database.dbBytes / MiB, 0)} MiB on disk` +
        (q.database.build ? `; built in ${fixed(q.database.build.wallS, 1)} s, peak RSS ${fixed(q.database.build.maxRssKb / 1024, 0)} MiB` : ' (cached)'),
    );
  }
  if (q.problem) notes.push(q.problem);
  if (q.libraryProblem) notes.push(`library: ${q.libraryProblem}`);
  for (const l of q.library) if (l.firstError) notes.push(`${l.query}: ${l.firstError}`);
  for (const c of q.cli) if (c.firstFailure) notes.push(`${c.query}: ${c.firstFailure}`);
  return { title: 'Queries (ms per call)', header: ['query', 'calls', 'p50', 'p99', 'max', 'note'], rows, notes };
}
