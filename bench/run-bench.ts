/**
 * `npm run bench`: proc-tree ingest and queries against its peers, on this machine, now.
 * Prints tables on stdout (progress on stderr) and writes bench/results/bench-<time>.json
 * and bench/results/latest.json. See bench/README.md for what each figure means.
 *
 *   npm run bench                                  default sizes (a few minutes)
 *   npm run bench -- --size-mb 1024                1 GiB synthetic logs
 *   BENCH_SECTIONS=ingest npm run bench            one section
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import type { BenchContext } from './harness/bench-context.js';
import { realInput, syntheticInput } from './harness/bench-inputs.js';
import type { BenchInput } from './harness/bench-inputs.js';
import { ProcTreeCli } from './harness/proc-tree-cli.js';
import { renderTable } from './harness/text-table.js';
import type { TextTable } from './harness/text-table.js';
import { compareIngest, ingestTable } from './sections/ingest-section.js';
import type { IngestComparison } from './sections/ingest-section.js';
import { measureQueries, queriesTable, queryDatabase } from './sections/queries-section.js';
import { exportEnrichTable, measureExportEnrich } from './sections/export-enrich-section.js';
import type { ExportEnrichResult } from './sections/export-enrich-section.js';
import type { QueriesResult } from './sections/queries-section.js';
import { measureScaling, scalingTable } from './sections/scaling-section.js';
import type { ScalingResult } from './sections/scaling-section.js';
import { measureRealLog, realLogTables } from './sections/real-log-section.js';
import type { RealLogResult } from './sections/real-log-section.js';
import { fleetTables, measureFleet } from './sections/fleet-section.js';
import type { FleetResult } from './sections/fleet-section.js';

const SECTIONS = ['real', 'ingest', 'scaling', 'queries', 'fleet', 'export'] as const;
type Section = (typeof SECTIONS)[number];

const USAGE = `usage: npm run bench -- [options]     (or node dist/bench/run-bench.js [options])

  --size-mb N          synthetic ingest logs, ENRICHED and RAW  [env BENCH_SIZE_MB, 100]
  --scale-mb N         scaling base size; also run at 10x      [env BENCH_SCALE_MB, 32]
  --instances N        process instances in the query database [env BENCH_INSTANCES, 1000000]
  --cli-calls N        CLI calls per query kind                [env BENCH_CLI_CALLS, 20]
  --sections LIST      real,ingest,scaling,queries,fleet,export  [env BENCH_SECTIONS, all]
                       fleet: PostgreSQL (PROC_TREE_BENCH_PG, else a throwaway cluster):
                       ingest of the scaling log with 1 and 2 ingesters vs SQLite, and
                       queries on --instances instances
                       export: export and enrich on the query database
  --enrich-mb N        enrich input: first N MiB of the query log [env BENCH_ENRICH_MB, 32]
  --real-only          just the real-log section (same as --sections real)
  --real-log-dir DIR   the real log of the real-log section: reused when DIR/audit.log
                       exists, else recorded there    [env BENCH_REAL_LOG_DIR, bench/data/real-enriched]
  --no-record          never record (the section says so when DIR holds no log)
  --record-seconds N   length of a new recording (needs root, auditd)  [130: ~300 MB]
  --before-build DIR   also run DIR's built proc-tree ingest on the real log (before/after, one run)
  --results-dir DIR    where the JSON results go                [bench/results]
  --no-peers           proc-tree only (skip laurel, ausearch, wc, cat)
  --rebuild-query-db   rebuild the cached query database
  --real-dir DIR       real log(s) from bench/record-real-audit-log.sh, repeatable
                       [bench/data/real-enriched and bench/data/real-raw when present]
`;

interface BenchOptions {
  sizeMb: number;
  scaleMb: number;
  instances: number;
  cliCalls: number;
  enrichMb: number;
  sections: Section[];
  peers: boolean;
  rebuildQueryDb: boolean;
  realDirs: string[] | undefined;
  realLogDir: string | undefined;
  record: boolean;
  recordSeconds: number;
  beforeBuild: string | undefined;
  resultsDir: string | undefined;
}

function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      'size-mb': { type: 'string' },
      'scale-mb': { type: 'string' },
      instances: { type: 'string' },
      'cli-calls': { type: 'string' },
      'enrich-mb': { type: 'string' },
      sections: { type: 'string' },
      'no-peers': { type: 'boolean' },
      'rebuild-query-db': { type: 'boolean' },
      'real-dir': { type: 'string', multiple: true },
      'real-only': { type: 'boolean' },
      'real-log-dir': { type: 'string' },
      'no-record': { type: 'boolean' },
      'record-seconds': { type: 'string' },
      'before-build': { type: 'string' },
      'results-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const env = process.env;
  const num = (name: string, raw: string | undefined, fallback: number): number => {
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got '${raw}'`);
    return n;
  };
  const sectionList = (values['real-only'] ? 'real' : (values.sections ?? env.BENCH_SECTIONS ?? SECTIONS.join(','))).split(',').filter((s) => s !== '');
  for (const s of sectionList) if (!(SECTIONS as readonly string[]).includes(s)) throw new Error(`unknown section '${s}' (${SECTIONS.join(', ')})`);
  return {
    sizeMb: num('--size-mb', values['size-mb'] ?? env.BENCH_SIZE_MB, 100),
    scaleMb: num('--scale-mb', values['scale-mb'] ?? env.BENCH_SCALE_MB, 32),
    instances: Math.round(num('--instances', values.instances ?? env.BENCH_INSTANCES, 1_000_000)),
    cliCalls: Math.round(num('--cli-calls', values['cli-calls'] ?? env.BENCH_CLI_CALLS, 20)),
    enrichMb: num('--enrich-mb', values['enrich-mb'] ?? env.BENCH_ENRICH_MB, 32),
    sections: sectionList as Section[],
    peers: !values['no-peers'],
    rebuildQueryDb: values['rebuild-query-db'] ?? false,
    realDirs: values['real-dir'],
    realLogDir: values['real-log-dir'] ?? (env.BENCH_REAL_LOG_DIR || undefined),
    record: !values['no-record'],
    recordSeconds: Math.round(num('--record-seconds', values['record-seconds'], 130)),
    beforeBuild: values['before-build'],
    resultsDir: values['results-dir'] === undefined ? undefined : resolve(values['results-dir']),
  };
}

async function main(): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`run-bench: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const dataDir = join(repoRoot, 'bench', 'data');
  const resultsDir = options.resultsDir ?? join(repoRoot, 'bench', 'results');
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(resultsDir, { recursive: true });
  const scratchDir = mkdtempSync(join(dataDir, 'scratch-'));
  const ctx: BenchContext = {
    repoRoot,
    dataDir,
    scratchDir,
    cli: new ProcTreeCli(repoRoot),
    log: (m) => process.stderr.write(`[bench] ${m}\n`),
  };
  const started = new Date();
  const results: {
    startedAt: string;
    finishedAt?: string;
    machine: Record<string, unknown>;
    options: BenchOptions;
    ingest: IngestComparison[];
    real?: RealLogResult;
    scaling?: ScalingResult;
    queries?: QueriesResult;
    fleet?: FleetResult;
    exportEnrich?: ExportEnrichResult;
    tables: TextTable[];
  } = { startedAt: started.toISOString(), machine: machineInfo(), options, ingest: [], tables: [] };
  const stamp = started.toISOString().replace(/[:.]/g, '-');
  const save = (): void => {
    const text = JSON.stringify(results, null, 1) + '\n';
    writeFileSync(join(resultsDir, `bench-${stamp}.json`), text);
    writeFileSync(join(resultsDir, 'latest.json'), text);
  };
  const show = (table: TextTable): void => {
    results.tables.push(table);
    process.stdout.write('\n' + renderTable(table));
    save();
  };

  try {
    process.stdout.write(`proc-tree bench, ${started.toISOString()}, ${String(results.machine.cpus)} CPUs, load ${String(results.machine.loadavg)}\n`);
    process.stdout.write('Figures are noisy on a shared machine: compare ratios within one run only.\n');
    if (options.sections.includes('real')) {
      const dir = resolve(options.realLogDir ?? join(dataDir, 'real-enriched'));
      ctx.log(`real log section: ${dir}`);
      results.real = await measureRealLog(ctx, {
        dir,
        record: options.record,
        recordSeconds: options.recordSeconds,
        peers: options.peers,
        ...(options.beforeBuild !== undefined ? { beforeBuild: resolve(options.beforeBuild) } : {}),
      });
      for (const table of realLogTables(results.real)) show(table);
    }
    if (options.sections.includes('ingest')) {
      const inputs: BenchInput[] = [];
      for (const format of ['enriched', 'raw'] as const) {
        inputs.push(
          syntheticInput(dataDir, `synth-${format}-${options.sizeMb}mb`, `synthetic ${format.toUpperCase()}`, { format, sizeBytes: Math.round(options.sizeMb * 1048576), seed: 1 }, ctx.log),
        );
      }
      // The real-log section has measured its log already: not twice.
      const realDirs = (options.realDirs ?? [join(dataDir, 'real-enriched'), join(dataDir, 'real-raw')]).filter((d) => resolve(d) !== results.real?.dir);
      for (const dir of realDirs) {
        const real = await realInput(resolve(dir), `real ${/raw\/?$/.test(dir) ? 'RAW' : 'ENRICHED'} (${relative(repoRoot, resolve(dir))})`);
        if (real) inputs.push(real);
        else ctx.log(`no real log in ${dir} (record one with: sudo bench/record-real-audit-log.sh --seconds 60)`);
      }
      for (const input of inputs) {
        ctx.log(`ingest: ${input.label}`);
        const comparison = await compareIngest(ctx, input, options.peers);
        results.ingest.push(comparison);
        show(ingestTable(comparison));
      }
    }
    if (options.sections.includes('scaling')) {
      const points = [1, 10].map((factor) => ({
        factor,
        input: syntheticInput(dataDir, `scale-${options.scaleMb * factor}mb`, `synthetic ENRICHED ${factor}x`, { format: 'enriched', sizeBytes: Math.round(options.scaleMb * factor * 1048576), seed: 3 }, ctx.log),
      }));
      results.scaling = await measureScaling(ctx, points);
      show(scalingTable(results.scaling));
    }
    if (options.sections.includes('queries')) {
      ctx.log(`queries on ${options.instances} process instances`);
      results.queries = await measureQueries(ctx, options.instances, options.cliCalls, options.rebuildQueryDb);
      show(queriesTable(results.queries));
    }
    if (options.sections.includes('fleet')) {
      const input = syntheticInput(dataDir, `scale-${options.scaleMb}mb`, `synthetic ENRICHED ${options.scaleMb} MiB`, { format: 'enriched', sizeBytes: Math.round(options.scaleMb * 1048576), seed: 3 }, ctx.log);
      ctx.log(`fleet: PostgreSQL ingest and queries on ${options.instances} instances`);
      results.fleet = await measureFleet(ctx, input, options.instances);
      for (const table of fleetTables(results.fleet)) show(table);
    }
    if (options.sections.includes('export')) {
      const unavailable = ctx.cli.unavailable('ingest');
      if (unavailable !== undefined) ctx.log(`export section skipped: ${unavailable}`);
      else {
        ctx.log(`export and enrich on ${options.instances} process instances`);
        // The queries section's database (built once, cached): the same 1M-instance history.
        const qdb = await queryDatabase(ctx, options.instances, options.rebuildQueryDb && !options.sections.includes('queries'));
        results.exportEnrich = await measureExportEnrich(ctx, qdb, options.enrichMb);
        show(exportEnrichTable(results.exportEnrich));
      }
    }
  } finally {
    rmSync(scratchDir, { recursive: true, force: true });
    results.finishedAt = new Date().toISOString();
    save();
  }
  process.stdout.write(`\nresults: ${relative(process.cwd(), join(resultsDir, `bench-${stamp}.json`))} (and latest.json)\n`);
  return 0;
}

function machineInfo(): Record<string, unknown> {
  const version = (cmd: string, args: string[]): string => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim().split('\n')[0] ?? '';
    } catch {
      return 'not installed';
    }
  };
  return {
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    memoryGiB: +(totalmem() / 2 ** 30).toFixed(1),
    loadavg: loadavg().map((l) => l.toFixed(2)).join(' '),
    laurel: version('laurel', ['--version']),
    ausearch: version('ausearch', ['--version']),
  };
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    process.stderr.write(`run-bench: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
