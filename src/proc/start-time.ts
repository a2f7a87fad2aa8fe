import { readFileSync } from 'node:fs';
import { bootTimeNs } from './boot-time.js';
import { clockTicksPerSecond } from './clock-ticks.js';
import { parseStat } from './parse-stat.js';
import { pidDir, type ProcOptions } from './proc-options.js';

const NS_PER_S = 1_000_000_000n;

/** One clock tick in ns (10 ms at USER_HZ 100): the resolution of /proc start times. */
export function tickNs(): bigint {
  return NS_PER_S / BigInt(clockTicksPerSecond());
}

/** Converts stat's starttime (ticks since boot) to wall-clock ns since the epoch. */
export function startTicksToEpochNs(startTicks: bigint): bigint {
  return bootTimeNs() + (startTicks * NS_PER_S) / BigInt(clockTicksPerSecond());
}

/**
 * Two start times belong to the same process when they differ by less than half a tick.
 * Within one run they are equal (boot time is memoized); separate runs measure boot time
 * within microseconds of each other and round it to the same millisecond, except in rare
 * cases where they land one millisecond apart (see bootTimeNs). Two processes that held
 * the same pid started at least a tick apart: the first had to exit and the pid counter
 * had to wrap through all of pid_max (>= 301) before the second could get that pid.
 */
export function sameStartTime(a: bigint, b: bigint): boolean {
  const diff = a > b ? a - b : b - a;
  return diff * 2n < tickNs();
}

/**
 * Start time of a live process in ns since the epoch: boot time + starttime / CLK_TCK.
 * Undefined when the process does not exist (or its stat cannot be read).
 */
export function readProcStartTimeNs(pid: number, options: ProcOptions = {}): bigint | undefined {
  let text: string;
  try {
    text = readFileSync(`${pidDir(pid, options)}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const stat = parseStat(text);
  return stat === undefined ? undefined : startTicksToEpochNs(stat.startTicks);
}
