/**
 * History store benchmark: fills a database with N process instances through the real
 * history builder (synthetic ProcEvents: allowed for scale benchmarks only), then measures
 * ancestryAt latency at random past times, ingest speed and database size per instance.
 *
 *   npx tsc -p . && node dist/bench/history-query-bench.js [--instances 1000000] [--queries 20000] [--db FILE]
 *
 * The synthetic host: bench/fleet/synthetic-host-events.ts.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ancestryAt } from '../src/history/ancestry-at.js';
import { WritableHistory } from '../src/history/history-database.js';
import { openHistoryStore } from '../src/history/open-history-store.js';
import { syntheticHost } from './fleet/synthetic-host-events.js';

const { values } = parseArgs({
  options: {
    instances: { type: 'string', default: '1000000' },
    queries: { type: 'string', default: '20000' },
    db: { type: 'string' },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  // The header comment above is the help text.
  console.log(readFileSync(new URL(import.meta.url), 'utf8').split('*/')[0]!.replace(/^\/\*\*\n/, '').replace(/^ \* ?/gm, ''));
  console.log('For latencies of every query kind on an existing database (before/after a change): node dist/bench/queries/measure-queries.js --help');
  process.exit(0);
}
const TARGET = Number(values.instances);
const QUERIES = Number(values.queries);
const COMMIT_EVERY = 50_000;

const dir = values.db === undefined ? mkdtempSync(join(tmpdir(), 'proc-tree-bench-')) : undefined;
const dbPath = values.db ?? join(dir!, 'history.db');
const history = WritableHistory.open(dbPath);
const builder = history.builder();
const host = syntheticHost(TARGET, QUERIES * 4);
const samples = host.samples;
// The sampler's own stream (the generator's is used up by the events).
let seed = 42;
const rand = (): number => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};

const started = process.hrtime.bigint();
history.begin();
let events = 0;
for (const e of host.events) {
  builder.onEvent(e);
  if (++events % COMMIT_EVERY === 0) {
    builder.saveState();
    history.commit();
    history.begin();
  }
}
const instances = host.instances();
builder.saveState();
history.commit();
const ingestNs = process.hrtime.bigint() - started;
history.db.pragma('wal_checkpoint(TRUNCATE)');
history.close();

const size = statSync(dbPath).size;
const store = await openHistoryStore(dbPath);
// Warm up, then measure the library call alone.
for (let i = 0; i < 500; i++) await ancestryAt(store, samples[i % samples.length]!);
const latencies: number[] = [];
let depthSum = 0;
// CPU time as well as wall time: on a shared machine wall-clock percentiles include time
// spent waiting for a core, CPU time is what a query costs.
const cpuBefore = process.cpuUsage();
for (let i = 0; i < QUERIES; i++) {
  const s = samples[Math.floor(rand() * samples.length)]!;
  const t0 = process.hrtime.bigint();
  const r = await ancestryAt(store, s);
  latencies.push(Number(process.hrtime.bigint() - t0) / 1000);
  depthSum += r.chain.length;
}
const cpu = process.cpuUsage(cpuBefore);
await store.close();
latencies.sort((a, b) => a - b);
const pct = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!;
const seconds = Number(ingestNs) / 1e9;
console.log(
  JSON.stringify(
    {
      benchmark: 'history-query',
      instances,
      events,
      ingestSeconds: Number(seconds.toFixed(2)),
      ingestEventsPerSecond: Math.round(events / seconds),
      dbBytes: size,
      bytesPerInstance: Math.round(size / instances),
      queries: QUERIES,
      meanChainLength: Number((depthSum / QUERIES).toFixed(2)),
      ancestryAtCpuMicrosMean: Number(((cpu.user + cpu.system) / QUERIES).toFixed(1)),
      ancestryAtMicros: { p50: Number(pct(50).toFixed(1)), p90: Number(pct(90).toFixed(1)), p99: Number(pct(99).toFixed(1)), max: Number(pct(100).toFixed(1)) },
    },
    null,
    2,
  ),
);
if (dir !== undefined && !values.keep) rmSync(dir, { recursive: true, force: true });
