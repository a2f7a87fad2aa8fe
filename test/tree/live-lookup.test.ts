import { expect, test } from 'vitest';
import { readProcStartTimeNs } from '../../src/proc/start-time.js';
import { liveEntryAt } from '../../src/tree/live-lookup.js';
import { startSleep } from './live-chain-fixture.js';

test('returns the live process only for events at or after its start', async () => {
  const sleeper = await startSleep();
  try {
    const start = readProcStartTimeNs(sleeper.pid)!;
    expect(liveEntryAt(sleeper.pid, start, {})?.info.pid).toBe(sleeper.pid);
    expect(liveEntryAt(sleeper.pid, start + 1_000_000_000n, {})?.node.cmd).toBe('sleep');
    expect(liveEntryAt(sleeper.pid, start - 1_000_000_000n, {})).toBeUndefined();
  } finally {
    await sleeper.stop();
  }
  expect(liveEntryAt(sleeper.pid, BigInt(Date.now()) * 1_000_000n, {})).toBeUndefined();
});
