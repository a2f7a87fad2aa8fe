import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parseStat } from '../../src/proc/parse-stat.js';
import { useLiveChain } from '../tree/live-chain-fixture.js';

const chain = useLiveChain();

const statOf = (pid: number): string => readFileSync(`/proc/${pid}/stat`, 'utf8');

describe('parseStat on real /proc/PID/stat', () => {
  test('reads pid, name, ppid of this test process', () => {
    const stat = parseStat(statOf(process.pid));
    expect(stat).toMatchObject({ pid: process.pid, comm: readFileSync('/proc/self/comm', 'utf8').trimEnd(), ppid: process.ppid });
  });

  test('keeps a name with spaces and ) intact and still finds the ppid behind it', () => {
    expect(parseStat(statOf(chain.inner))).toMatchObject({ pid: chain.inner, comm: chain.innerComm, ppid: chain.outer });
  });

  test('is not fooled by a name that looks like stat fields', () => {
    expect(parseStat(statOf(chain.outer))).toMatchObject({ pid: chain.outer, comm: chain.outerComm, state: 'S', ppid: process.pid });
  });

  test('a child started later has a larger starttime', () => {
    const parent = parseStat(statOf(chain.inner))!;
    const child = parseStat(statOf(chain.sleepA))!;
    expect(child.startTicks).toBeGreaterThanOrEqual(parent.startTicks);
    expect(parseStat(statOf(chain.outer))!.startTicks).toBeLessThanOrEqual(parent.startTicks);
  });

  test('rejects text that is not a stat line', () => {
    expect(parseStat('')).toBeUndefined();
    expect(parseStat('garbage without parentheses')).toBeUndefined();
    // A truncated real line: cut before field 22 (starttime).
    const real = statOf(chain.sleepA);
    const cut = real.slice(0, real.indexOf(')') + 30);
    expect(parseStat(cut)).toBeUndefined();
  });
});
