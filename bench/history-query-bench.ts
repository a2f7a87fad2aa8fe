/**
 * History store benchmark: fills a database with N process instances through the real
 * history builder (synthetic ProcEvents: allowed for scale benchmarks only), then measures
 * ancestryAt latency at random past times, ingest speed and database size per instance.
 *
 *   npx tsc -p . && node dist/bench/history-query-bench.js [--instances 1000000] [--queries 20000] [--db FILE]
 *
 * Shape of the synthetic host: init -> 64 long-lived sessions (sshd -> bash) that fork
 * short-lived commands, a fifth of which fork a child of their own; pids are allocated
 * sequentially under pid_max 32768, so each pid is reused ~N/32768 times (the index must
 * pick the right instance among dozens).
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ProcEvent } from '../src/events/proc-event.js';
import { ancestryAt } from '../src/history/ancestry-at.js';
import { WritableHistory } from '../src/history/history-database.js';
import { openHistoryStore } from '../src/history/open-history-store.js';

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
const PID_MAX = 32_768;
const SESSIONS = 64;
const COMMIT_EVERY = 50_000;

let seed = 42;
const rand = (): number => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};

const dir = values.db === undefined ? mkdtempSync(join(tmpdir(), 'proc-tree-bench-')) : undefined;
const dbPath = values.db ?? join(dir!, 'history.db');
const history = WritableHistory.open(dbPath);
const builder = history.builder();

let nextPid = 300;
const live = new Set<number>([1]);
const allocPid = (): number => {
  for (;;) {
    nextPid = nextPid >= PID_MAX - 1 ? 300 : nextPid + 1;
    if (!live.has(nextPid)) {
      live.add(nextPid);
      return nextPid;
    }
  }
};

let t = 1_764_000_000_000_000_000n;
const tick = (): bigint => (t += BigInt(1 + Math.floor(rand() * 2_000_000))); // up to 2 ms apart
let line = 0;
const ev = () => ({ file: 'synthetic.log', offset: line * 200, line: ++line, id: `${t / 1_000_000n}:${line}` });
const samples: { pid: number; atNs: bigint }[] = [];
let events = 0;
const emit = (e: ProcEvent): void => {
  builder.onEvent(e);
  if (++events % COMMIT_EVERY === 0) {
    builder.saveState();
    history.commit();
    history.begin();
  }
};

const started = process.hrtime.bigint();
history.begin();
emit({ kind: 'observed', timestampNs: tick(), pid: 1, ppid: 0, image: { exe: '/sbin/init', argv: ['/sbin/init'], comm: 'systemd' }, evidence: ev() });
const shells: number[] = [];
for (let i = 0; i < SESSIONS; i++) {
  const sshd = allocPid();
  emit({ kind: 'fork', timestampNs: tick(), parentPid: 1, childPid: sshd, evidence: ev() });
  emit({ kind: 'exec', timestampNs: tick(), pid: sshd, ppid: 1, image: { exe: '/usr/sbin/sshd', argv: ['sshd: user@pts/' + i], comm: 'sshd' }, creds: { uid: 0 }, evidence: ev() });
  const bash = allocPid();
  emit({ kind: 'fork', timestampNs: tick(), parentPid: sshd, childPid: bash, evidence: ev() });
  emit({ kind: 'exec', timestampNs: tick(), pid: bash, ppid: sshd, image: { exe: '/usr/bin/bash', argv: ['-bash'], comm: 'bash' }, creds: { uid: 1000, user: 'user' }, evidence: ev() });
  shells.push(bash);
}
const COMMANDS = [['ls', '-l'], ['grep', '-r', 'needle', '.'], ['git', 'status'], ['make', '-j2'], ['python3', 'script.py'], ['curl', '-s', 'https://example.org/']];
let instances = 1 + SESSIONS * 2;
while (instances < TARGET) {
  const shell = shells[Math.floor(rand() * shells.length)]!;
  const child = allocPid();
  const forkAt = tick();
  emit({ kind: 'fork', timestampNs: forkAt, parentPid: shell, childPid: child, evidence: ev() });
  const argv = COMMANDS[Math.floor(rand() * COMMANDS.length)]!;
  emit({ kind: 'exec', timestampNs: tick(), pid: child, ppid: shell, image: { exe: `/usr/bin/${argv[0]}`, argv, comm: argv[0]!, cwd: '/home/user' }, creds: { uid: 1000, user: 'user' }, evidence: ev() });
  instances++;
  if (rand() < 0.2 && instances < TARGET) {
    const grandchild = allocPid();
    emit({ kind: 'fork', timestampNs: tick(), parentPid: child, childPid: grandchild, evidence: ev() });
    emit({ kind: 'exec', timestampNs: tick(), pid: grandchild, ppid: child, image: { exe: '/usr/bin/sh', argv: ['sh', '-c', 'helper'], comm: 'sh' }, evidence: ev() });
    const mid = tick();
    if (samples.length < QUERIES * 4 && rand() < 0.1) samples.push({ pid: grandchild, atNs: mid });
    emit({ kind: 'exit', timestampNs: tick(), pid: grandchild, ppid: child, exitCode: 0, certainty: 'observed', evidence: ev() });
    live.delete(grandchild);
    instances++;
  }
  const mid = tick();
  if (samples.length < QUERIES * 4 && rand() < 0.05) samples.push({ pid: child, atNs: mid });
  emit({ kind: 'exit', timestampNs: tick(), pid: child, ppid: shell, exitCode: 0, certainty: 'observed', evidence: ev() });
  live.delete(child);
}
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
