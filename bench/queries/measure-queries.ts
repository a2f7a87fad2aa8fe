/**
 * Library query latencies on an existing history database, at the probes' pids and times,
 * with an optional dump of every answer so that two builds can be compared for equality.
 *
 *   node dist/bench/queries/measure-queries.js --db DB --probes probes.json [--impl DIST_ROOT]
 *        [--only ancestry,tree,treePid,descendants,find] [--calls N] [--answers OUT.json]
 *
 * `--impl` points at another build's dist/ folder (e.g. a copy made before a change): the
 * same probes run through that build's modules, so before/after figures and answers come
 * from one machine state. Percentiles are of wall time per call (performance.now()).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    db: { type: 'string' },
    probes: { type: 'string', default: 'bench/data/query-log-1000000/probes.json' },
    impl: { type: 'string' },
    only: { type: 'string', default: 'ancestry,treePid,tree,descendants,find' },
    calls: { type: 'string', default: '2000' },
    answers: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help || values.db === undefined) {
  process.stdout.write(readFileSync(new URL(import.meta.url)).toString().split('*/')[0] + '*/\n');
  process.exit(values.help ? 0 : 2);
}

interface Probe {
  pid: number;
  atNs: string;
  host?: string;
  comm: string;
  chain: number[];
}

const root = values.impl === undefined ? resolve(new URL('../..', import.meta.url).pathname) : resolve(values.impl);
type Fn = (...a: unknown[]) => unknown;
const load = async (rel: string): Promise<Record<'openHistoryStore' | 'openSqliteHistoryStore' | 'ancestryAt' | 'treeAt' | 'descendants' | 'findProcesses', Fn>> =>
  import(pathToFileURL(`${root}/src/history/${rel}`).href);
// Builds before the async query port exported a sync openHistoryStore here; `await` takes either.
const sqlite = await load('sqlite-history-store.js');
const openHistoryStore = sqlite.openSqliteHistoryStore ?? sqlite.openHistoryStore;
const { ancestryAt } = await load('ancestry-at.js');
const { treeAt } = await load('tree-at.js');
const { descendants } = await load('descendants.js');
const { findProcesses } = await load('find-processes.js');

const probes = (JSON.parse(readFileSync(values.probes!, 'utf8')) as { probes: Probe[] }).probes.filter((p) => p.chain.length > 1);
const calls = Number(values.calls);
const store = (await openHistoryStore(values.db)) as { close(): unknown };
const answers: Record<string, unknown[]> = {};
const bigintSafe = (_k: string, v: unknown): unknown => (typeof v === 'bigint' ? v.toString() : v);

/** Drops fields that differ between builds without a difference in the answer (none today). */
const normalise = (v: unknown): unknown => JSON.parse(JSON.stringify(v, bigintSafe));

async function run(name: string, n: number, call: (p: Probe) => unknown): Promise<void> {
  const list = probes.slice(0, Math.min(n, probes.length));
  for (const p of list.slice(0, 20)) await safe(call, p); // warm-up: JIT, page cache
  const ms: number[] = [];
  const out: unknown[] = [];
  const cpu0 = process.cpuUsage();
  for (const p of list) {
    const t0 = performance.now();
    const r = await safe(call, p);
    ms.push(performance.now() - t0);
    if (values.answers !== undefined) out.push(normalise(r));
  }
  const cpu = process.cpuUsage(cpu0);
  ms.sort((a, b) => a - b);
  const pct = (q: number): number => ms[Math.min(ms.length - 1, Math.max(0, Math.ceil((q / 100) * ms.length) - 1))]!;
  answers[name] = out;
  const f = (x: number): string => (x < 10 ? x.toFixed(3) : x.toFixed(1));
  console.log(`${name.padEnd(12)} calls ${String(ms.length).padStart(5)}  p50 ${f(pct(50)).padStart(8)} ms  p99 ${f(pct(99)).padStart(8)} ms  max ${f(pct(100)).padStart(8)} ms  cpu/call ${f((cpu.user + cpu.system) / 1000 / ms.length)} ms`);
}

async function safe(call: (p: Probe) => unknown, p: Probe): Promise<unknown> {
  try {
    return await call(p);
  } catch (error) {
    return { error: (error as Error).message };
  }
}

const at = (p: Probe): bigint => BigInt(p.atNs);
const host = (p: Probe): Record<string, string> => (p.host === undefined ? {} : { host: p.host });
const only = new Set(values.only!.split(','));
if (only.has('ancestry')) await run('ancestry', calls, (p) => ancestryAt(store, { ...host(p), pid: p.pid, atNs: at(p) }));
if (only.has('creator')) await run('creator', calls, (p) => ancestryAt(store, { ...host(p), pid: p.pid, atNs: at(p), lineage: 'creator' }));
if (only.has('descendants')) await run('descendants', calls, (p) => descendants(store, { ...host(p), pid: p.pid, atNs: at(p) }));
if (only.has('treePid')) await run('treePid', Math.min(calls, 300), (p) => treeAt(store, { ...host(p), atNs: at(p), pid: p.pid }));
if (only.has('tree')) await run('tree', Math.min(calls, 100), (p) => treeAt(store, { ...host(p), atNs: at(p) }));
if (only.has('find')) await run('find', Math.min(calls, 50), (p) => findProcesses(store, { ...host(p), cmd: p.comm, atNs: at(p) }));
await store.close();
if (values.answers !== undefined) writeFileSync(values.answers, JSON.stringify(answers));
