#!/usr/bin/env node
// Ground-truth prober for real captures: polls /proc and records, for every process of the
// workload, the ancestry chain /proc showed and when. Output format: samples/README.md.
//
// Usage:
//   node samples/tools/truth-prober.mjs --marker LOGINUID --out FILE.truth.json \
//     [--scenario NAME] [--captured-with CMD] [--interval-ms 10] [--ready FILE]
//
// Which processes belong to the workload: the capture harness writes a marker value into
// the workload root's /proc/self/loginuid; the kernel copies loginuid to every descendant
// at fork, and reparenting does not change it, so a double-forked daemon under init is
// still found. Processes whose loginuid is the marker are probed; their ancestors (harness,
// init) appear in the chains but get no probes of their own.
//
// Stops on SIGTERM or SIGINT, then writes the file. Plain .mjs on purpose: the harness runs
// it without a build step.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';

const NS_PER_MS = 1_000_000n;
const NS_PER_S = 1_000_000_000n;
/** Longest chain we follow; real chains on this machine are < 10 deep. */
const MAX_CHAIN_DEPTH = 64;
/** Re-reads when a chain changed while we read it (parent exited mid-read). */
const MAX_CHAIN_RETRIES = 2;
/** While a chain stays the same, one probe per this interval is kept (see poll()). */
const STABLE_PROBE_EVERY_NS = 100_000_000n;

const { values } = parseArgs({
  options: {
    marker: { type: 'string' },
    out: { type: 'string' },
    scenario: { type: 'string', default: '' },
    'captured-with': { type: 'string', default: '' },
    'interval-ms': { type: 'string', default: '10' },
    ready: { type: 'string' },
  },
});
if (!values.marker || !values.out) {
  process.stderr.write('usage: truth-prober.mjs --marker LOGINUID --out FILE [--scenario NAME] [--interval-ms N]\n');
  process.exit(2);
}
const marker = values.marker.trim();
const intervalMs = Number(values['interval-ms']);

// --- clocks ---------------------------------------------------------------------------
// Wall clock with sub-ms resolution: Date.now() is whole ms, so anchor the monotonic
// hrtime to the instant Date.now() ticks over (error ~ a few µs), then add hrtime deltas.
// Over a capture of seconds the realtime/monotonic drift is far below a microsecond.
function calibrateWallAnchor() {
  const first = Date.now();
  let now = first;
  while (now === first) now = Date.now();
  return BigInt(now) * NS_PER_MS - process.hrtime.bigint();
}
const wallAnchorNs = calibrateWallAnchor();
const wallNowNs = () => wallAnchorNs + process.hrtime.bigint();

// Boot time as realtime minus CLOCK_BOOTTIME. /proc/uptime prints CLOCK_BOOTTIME in whole
// centiseconds (truncated): read it until it ticks over, at that edge it is exact.
// (btime in /proc/stat is whole seconds, too coarse for 10 ms start times.)
function readUptimeCs() {
  const m = /^(\d+)\.(\d\d)/.exec(readFileSync('/proc/uptime', 'latin1'));
  if (!m) throw new Error('cannot parse /proc/uptime');
  return BigInt(m[1]) * 100n + BigInt(m[2]);
}
function measureBootTimeNs() {
  const first = readUptimeCs();
  for (let i = 0; i < 200_000; i++) {
    const cs = readUptimeCs();
    if (cs !== first) return wallNowNs() - cs * 10_000_000n;
  }
  return wallNowNs() - first * 10_000_000n - 5_000_000n;
}
const bootTimeNs = measureBootTimeNs();

function clockTicks() {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}
const clkTck = clockTicks();

// --- /proc reading ----------------------------------------------------------------------
/** Parses /proc/PID/stat. comm may contain spaces and ')' so it ends at the LAST ')'. */
function readStat(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const rest = text.slice(close + 2).split(' ');
  // rest[0] is field 3 (state), rest[1] field 4 (ppid), rest[19] field 22 (starttime).
  return {
    pid,
    state: rest[0],
    ppid: Number(rest[1]),
    comm: text.slice(open + 1, close),
    startTicks: BigInt(rest[19]),
  };
}

function readLoginuid(pid) {
  try {
    return readFileSync(`/proc/${pid}/loginuid`, 'latin1').trim();
  } catch {
    return undefined;
  }
}

/** Reads self..pid 1; undefined when the process is gone or the chain moved under us. */
function readChain(pid) {
  for (let attempt = 0; attempt <= MAX_CHAIN_RETRIES; attempt++) {
    const chain = [];
    let next = pid;
    let consistent = true;
    while (chain.length < MAX_CHAIN_DEPTH) {
      const stat = readStat(next);
      if (!stat) {
        if (chain.length === 0) return undefined;
        break; // an ancestor we cannot read ends the chain (samples/README.md)
      }
      const child = chain[chain.length - 1];
      // A parent that started after its child is a different process that reused the
      // parent's pid between our two reads: the chain is not one moment's truth.
      if (child && stat.startTicks > child.startTicks) consistent = false;
      chain.push(stat);
      if (stat.pid === 1 || stat.ppid === 0) break;
      next = stat.ppid;
    }
    const atNs = wallNowNs();
    // Re-read self: if its parent changed while we walked up, the walk mixed two moments.
    const again = readStat(pid);
    if (!again) return undefined;
    if (consistent && again.ppid === chain[0].ppid && again.startTicks === chain[0].startTicks) {
      return { atNs, chain };
    }
  }
  return undefined;
}

const startTimeNs = (ticks) => bootTimeNs + (ticks * NS_PER_S) / BigInt(clkTck);

// --- probing ----------------------------------------------------------------------------
/** Per process instance (pid + start ticks): last kept chain, when it was kept, a pending repeat. */
const instances = new Map();
const probes = [];
let polls = 0;
let skipped = 0;
let zombies = 0;
/** Longest time between two polls: a starved prober can miss a short-lived process. */
let maxPollGapNs = 0n;
let lastPollNs;

const signature = (chain) => chain.map((e) => `${e.pid}/${e.ppid}/${e.comm}/${e.startTicks}`).join(' ');
const toProbe = (pid, atNs, chain) => ({
  atNs: atNs.toString(),
  pid,
  chain: chain.map((e) => ({ pid: e.pid, ppid: e.ppid, comm: e.comm, startTimeNs: startTimeNs(e.startTicks).toString() })),
});

function poll() {
  polls++;
  const now = wallNowNs();
  if (lastPollNs !== undefined && now - lastPollNs > maxPollGapNs) maxPollGapNs = now - lastPollNs;
  lastPollNs = now;
  let entries;
  try {
    entries = readdirSync('/proc');
  } catch {
    return;
  }
  for (const name of entries) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const pid = Number(name);
    if (readLoginuid(pid) !== marker) continue;
    const read = readChain(pid);
    if (!read) {
      skipped++;
      continue;
    }
    // A zombie has exited (its exit record is in the log) but stays in /proc until its
    // parent reaps it; this VM's init reaps orphans only every second or two. Its chain is
    // no longer an ancestry anyone would ask about, so it gets no probes. (Ancestors are
    // not zombies: children are reparented when their parent exits. The exception, a group
    // leader gone by pthread_exit while other threads run, is in none of our scenarios.)
    if (read.chain[0].state === 'Z' || read.chain[0].state === 'X') {
      zombies++;
      continue;
    }
    const key = `${pid}:${read.chain[0].startTicks}`;
    const sig = signature(read.chain);
    const inst = instances.get(key);
    if (inst && inst.sig === sig) {
      // Same chain as the last kept probe: keep one every STABLE_PROBE_EVERY_NS (probes far
      // from any event are the unambiguous ones) and remember the latest as the run's
      // last probe, so a long unchanged run costs a few probes, not one per poll.
      const probe = toProbe(pid, read.atNs, read.chain);
      if (read.atNs - inst.keptAtNs >= STABLE_PROBE_EVERY_NS) {
        probes.push(probe);
        inst.keptAtNs = read.atNs;
        inst.pending = undefined;
      } else {
        inst.pending = probe;
      }
      continue;
    }
    if (inst?.pending) probes.push(inst.pending);
    probes.push(toProbe(pid, read.atNs, read.chain));
    instances.set(key, { sig, pending: undefined, keptAtNs: read.atNs });
  }
}

const startedAtNs = wallNowNs();
const timer = setInterval(poll, intervalMs);
poll();
if (values.ready) writeFileSync(values.ready, `${process.pid}\n`);

function finish() {
  clearInterval(timer);
  for (const inst of instances.values()) if (inst.pending) probes.push(inst.pending);
  probes.sort((a, b) => (BigInt(a.atNs) < BigInt(b.atNs) ? -1 : BigInt(a.atNs) > BigInt(b.atNs) ? 1 : 0));
  const out = {
    scenario: values.scenario,
    capturedWith: values['captured-with'],
    host: hostname(),
    bootTimeNs: bootTimeNs.toString(),
    clkTck,
    markerLoginuid: Number(marker),
    probeIntervalMs: intervalMs,
    startedAtNs: startedAtNs.toString(),
    endedAtNs: wallNowNs().toString(),
    polls,
    maxPollGapMs: Number(maxPollGapNs / 1000n) / 1000,
    zombieReadsSkipped: zombies,
    probes,
  };
  // One probe per line: small, and a diff or grep shows one probe at a time.
  const head = JSON.stringify({ ...out, probes: [] }, null, 2).replace(/\n {2}"probes": \[\]\n\}$/, '');
  const body = probes.map((p) => '    ' + JSON.stringify(p)).join(',\n');
  writeFileSync(values.out, `${head}\n  "probes": [\n${body}\n  ]\n}\n`);
  process.stderr.write(
    `truth-prober: ${polls} polls, ${probes.length} probes of ${instances.size} processes, ${skipped} unreadable chains, ${zombies} zombie reads skipped, longest poll gap ${Number(maxPollGapNs / 1000n) / 1000} ms\n`,
  );
  process.exit(0);
}
process.on('SIGTERM', finish);
process.on('SIGINT', finish);
