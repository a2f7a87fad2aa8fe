import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';

/**
 * USER_HZ on every mainstream Linux architecture. /proc/PID/stat counts in USER_HZ, not the
 * kernel's internal HZ, and USER_HZ is part of the user ABI (100 on x86, arm, arm64, riscv,
 * ppc, s390), so it is a safe last resort.
 */
export const FALLBACK_CLK_TCK = 100;

/** auxv entry type AT_CLKTCK: the value sysconf(_SC_CLK_TCK) returns. */
const AT_CLKTCK = 17n;

let cached: number | undefined;

/**
 * Clock ticks per second for /proc/PID/stat times, looked up once per process.
 *
 * Order: the kernel's own AT_CLKTCK from /proc/self/auxv (what libc's sysconf reads, with
 * no child process: the CLI's latency budget is 200 ms), then `getconf CLK_TCK` (in case
 * auxv is unreadable, e.g. a restricted /proc), then 100 (see FALLBACK_CLK_TCK).
 */
export function clockTicksPerSecond(): number {
  cached ??= fromAuxv() ?? fromGetconf() ?? FALLBACK_CLK_TCK;
  return cached;
}

function fromAuxv(): number | undefined {
  try {
    const auxv = readFileSync('/proc/self/auxv');
    const word = process.arch.includes('64') || process.arch === 's390x' ? 8 : 4;
    const little = endianness() === 'LE';
    const read = (at: number): bigint =>
      word === 8
        ? little ? auxv.readBigUInt64LE(at) : auxv.readBigUInt64BE(at)
        : BigInt(little ? auxv.readUInt32LE(at) : auxv.readUInt32BE(at));
    for (let at = 0; at + 2 * word <= auxv.length; at += 2 * word) {
      const type = read(at);
      if (type === 0n) break; // AT_NULL ends the vector
      if (type === AT_CLKTCK) return positive(Number(read(at + word)));
    }
  } catch {
    // fall through to getconf
  }
  return undefined;
}

function fromGetconf(): number | undefined {
  try {
    return positive(Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 2000 }).trim()));
  } catch {
    return undefined;
  }
}

function positive(n: number): number | undefined {
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}
