/**
 * Ground truth for proc connector samples: polls /proc while a scenario runs and writes
 * FILE.truth.json in the format of samples/README.md.
 *
 *   node dist/adapters/proc-connector/tools/truth-probe.js --scenario NAME --out FILE.truth.json
 *
 * Which processes: every process whose environment holds PT_SCENARIO=NAME (inherited by
 * all the scenario's descendants, and kept by a daemon after it is reparented), read once
 * per process incarnation (pid + start time). A probe is written whenever a process's
 * chain differs from the last one written for it, so each state a scenario holds for a
 * few polls is recorded once. Stops on SIGTERM/SIGINT and then writes the file.
 *
 * Extension to the README format: `beginNs` (when the chain read began) beside `atNs`
 * (after it ended): a chain is only known to hold somewhere inside that window.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { bootTimeNs, listPids, parseStat, startTicksToEpochNs } from '../../../src/proc/index.js';
import { loadProcConnectorNative } from '../native-binding.js';

interface ChainEntry {
  pid: number;
  ppid: number;
  comm: string;
  startTimeNs: string;
}

interface Probe {
  beginNs: string;
  atNs: string;
  pid: number;
  chain: ChainEntry[];
}

const { values } = parseArgs({
  options: {
    scenario: { type: 'string' },
    out: { type: 'string' },
    'interval-ms': { type: 'string', default: '5' },
  },
});
if (!values.scenario || !values.out) {
  process.stderr.write('usage: truth-probe --scenario NAME --out FILE.truth.json [--interval-ms N]\n');
  process.exit(2);
}
const scenario = values.scenario;
const marker = Buffer.from(`PT_SCENARIO=${scenario}\0`);
const intervalMs = Number(values['interval-ms']);
const offsetNs = loadProcConnectorNative().monotonicToRealtimeNs();
const nowNs = (): bigint => process.hrtime.bigint() + offsetNs;

/** Membership by incarnation `pid@startTicks`: environ is read once per process. */
const membership = new Map<string, boolean>();
const lastChain = new Map<string, string>();
const probes: Probe[] = [];

function readStat(pid: number): ReturnType<typeof parseStat> {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

function isMember(pid: number, startTicks: bigint): boolean {
  const key = `${pid}@${startTicks}`;
  let member = membership.get(key);
  if (member === undefined) {
    let environ: Buffer;
    try {
      environ = readFileSync(`/proc/${pid}/environ`);
    } catch {
      return false; // gone, or a kernel thread
    }
    member = environ.includes(marker);
    // An empty environ is a process mid-exec or a zombie: decide on a later poll.
    if (environ.length > 0) membership.set(key, member);
  }
  return member;
}

function readChain(pid: number): ChainEntry[] {
  const chain: ChainEntry[] = [];
  let current = pid;
  for (let depth = 0; depth < 64 && current > 0; depth++) {
    const stat = readStat(current);
    if (!stat) break;
    chain.push({ pid: current, ppid: stat.ppid, comm: stat.comm, startTimeNs: startTicksToEpochNs(stat.startTicks).toString() });
    current = stat.ppid;
  }
  return chain;
}

function poll(): void {
  for (const pid of listPids()) {
    if (pid === process.pid) continue;
    const stat = readStat(pid);
    if (!stat || !isMember(pid, stat.startTicks)) continue;
    const beginNs = nowNs();
    const chain = readChain(pid);
    const atNs = nowNs();
    if (chain.length === 0) continue;
    const key = `${pid}@${stat.startTicks}`;
    const signature = chain.map((e) => `${e.pid}<${e.ppid}:${e.comm}`).join(' ');
    if (lastChain.get(key) === signature) continue;
    lastChain.set(key, signature);
    probes.push({ beginNs: beginNs.toString(), atNs: atNs.toString(), pid, chain });
  }
}

let stopped = false;
const finish = (): void => {
  if (stopped) return;
  stopped = true;
  const truth = {
    scenario,
    capturedWith: `node dist/adapters/proc-connector/tools/truth-probe.js --scenario ${scenario} --out ${values.out}`,
    host: hostname(),
    bootTimeNs: bootTimeNs().toString(),
    probes,
  };
  // One probe per line: readable, diffable, and a third of the indented size.
  const { probes: all, ...head } = truth;
  const text = JSON.stringify(head).slice(0, -1) + ',"probes":[\n' + all.map((p) => JSON.stringify(p)).join(',\n') + '\n]}\n';
  writeFileSync(values.out!, text);
  process.stderr.write(`truth-probe: ${probes.length} probes of scenario ${scenario} -> ${values.out}\n`);
  process.exit(0);
};
process.on('SIGTERM', finish);
process.on('SIGINT', finish);
const timer = setInterval(poll, intervalMs);
timer.unref();
// Keep the process alive until a signal arrives.
setInterval(() => {}, 1 << 30);
poll();
