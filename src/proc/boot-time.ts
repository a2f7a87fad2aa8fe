import { readFileSync } from 'node:fs';

const NS_PER_MS = 1_000_000n;
const NS_PER_CENTISECOND = 10_000_000n;
/** Edges of Date.now()'s millisecond to sample; each costs at most 1 ms of busy wait. */
const EDGE_SAMPLES = 3;
/** CLOCK_BOOTTIME minus CLOCK_MONOTONIC above this means the machine was suspended. */
const SUSPEND_THRESHOLD_NS = 20_000_000n;

let cached: bigint | undefined;

/**
 * Wall-clock time of boot in ns since the epoch, measured once per process and rounded
 * to the millisecond.
 *
 * Why not `btime` from /proc/stat: it is whole seconds, truncated, so every start time
 * derived from it would be up to 1 s early, and audit records carry millisecond
 * timestamps: a process placed 1 s before its real fork lands before its parent's exec
 * in a timeline. What we want is realtime-now minus CLOCK_BOOTTIME-now (stat's starttime
 * counts from `start_boottime`).
 *
 * First try was realtime minus /proc/uptime (which is CLOCK_BOOTTIME): uptime has only
 * centiseconds, and on this 2-core VM under load separate runs scattered over 9 ms, more
 * than half a tick, so two runs could disagree about whether a pid was reused. Now:
 * realtime minus CLOCK_MONOTONIC (process.hrtime, ns), read right at a tick of Date.now()
 * so the millisecond truncation disappears (max over a few ticks: a delay can only make a
 * sample smaller), plus the suspend time (CLOCK_BOOTTIME - CLOCK_MONOTONIC, from
 * /proc/uptime, zero on a machine never suspended). Separate runs measured here agree
 * within about 25 µs; rounding to the millisecond then makes them print the same start
 * times (except when the true value sits within those microseconds of a .5 ms boundary).
 * Both clocks are slewed together by NTP, so the difference only moves on a clock step.
 */
export function bootTimeNs(): bigint {
  cached ??= measureBootTimeNs();
  return cached;
}

/** Realtime minus CLOCK_MONOTONIC, sampled at a Date.now() millisecond edge. */
function realMinusMonotonicNs(): bigint {
  const before = Date.now();
  let now: number;
  do now = Date.now();
  while (now === before);
  return BigInt(now) * NS_PER_MS - process.hrtime.bigint();
}

function suspendedNs(): bigint {
  const text = readFileSync('/proc/uptime', 'latin1');
  const monotonic = process.hrtime.bigint();
  const match = /^(\d+)\.(\d\d)/.exec(text);
  if (!match) throw new Error(`unexpected /proc/uptime content: ${JSON.stringify(text.slice(0, 40))}`);
  const boottime = (BigInt(match[1]!) * 100n + BigInt(match[2]!)) * NS_PER_CENTISECOND;
  const diff = boottime - monotonic;
  return diff > SUSPEND_THRESHOLD_NS ? diff + NS_PER_CENTISECOND / 2n : 0n;
}

function measureBootTimeNs(): bigint {
  let offset = realMinusMonotonicNs();
  for (let i = 1; i < EDGE_SAMPLES; i++) {
    const sample = realMinusMonotonicNs();
    if (sample > offset) offset = sample;
  }
  const exact = offset - suspendedNs();
  return ((exact + NS_PER_MS / 2n) / NS_PER_MS) * NS_PER_MS;
}
