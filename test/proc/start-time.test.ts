import { expect, test } from 'vitest';
import { readProcStartTimeNs, sameStartTime, tickNs } from '../../src/proc/start-time.js';
import { startSleep } from '../tree/live-chain-fixture.js';

test('a freshly spawned process started between the clock readings around its spawn', async () => {
  const before = BigInt(Date.now()) * 1_000_000n;
  const sleeper = await startSleep();
  const after = BigInt(Date.now()) * 1_000_000n;
  try {
    const start = readProcStartTimeNs(sleeper.pid)!;
    // starttime is truncated to a tick and boot time is known to ~1 ms.
    expect(start).toBeGreaterThanOrEqual(before - tickNs() - 5_000_000n);
    expect(start).toBeLessThanOrEqual(after + 5_000_000n);
  } finally {
    await sleeper.stop();
  }
});

test('is stable across reads of the same process', async () => {
  const sleeper = await startSleep();
  try {
    expect(readProcStartTimeNs(sleeper.pid)).toBe(readProcStartTimeNs(sleeper.pid));
  } finally {
    await sleeper.stop();
  }
});

test('is undefined for a process that exited', async () => {
  const sleeper = await startSleep();
  await sleeper.stop();
  expect(readProcStartTimeNs(sleeper.pid)).toBeUndefined();
});

test('orders parent before child', async () => {
  const sleeper = await startSleep();
  try {
    expect(readProcStartTimeNs(process.pid)!).toBeLessThanOrEqual(readProcStartTimeNs(sleeper.pid)!);
  } finally {
    await sleeper.stop();
  }
});

test('sameStartTime tolerates less than half a tick and no more', () => {
  const t = 1_795_586_222_885_000_000n;
  expect(sameStartTime(t, t)).toBe(true);
  expect(sameStartTime(t, t + tickNs() / 2n - 1n)).toBe(true);
  expect(sameStartTime(t, t + tickNs())).toBe(false);
  expect(sameStartTime(t + tickNs(), t)).toBe(false);
});
