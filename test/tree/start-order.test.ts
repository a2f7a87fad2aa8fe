import { expect, test } from 'vitest';
import { readProcEntry } from '../../src/proc/read-proc-entry.js';
import { tickNs } from '../../src/proc/start-time.js';
import { couldBeParent } from '../../src/tree/start-order.js';
import { startSleep } from './live-chain-fixture.js';

test('a real parent could be the parent of its real child, not the other way round', async () => {
  const sleeper = await startSleep();
  try {
    const parent = readProcEntry(process.pid);
    const child = readProcEntry(sleeper.pid);
    if (!parent.ok || !child.ok) throw new Error('cannot read the test processes');
    expect(couldBeParent(parent.node, child.node)).toBe(true);
    // This worker started well over a tick before the sleep we just spawned.
    expect(child.node.startTimeNs! - parent.node.startTimeNs!).toBeGreaterThan(tickNs());
    expect(couldBeParent(child.node, parent.node)).toBe(false);
  } finally {
    await sleeper.stop();
  }
});

test('a start within one tick after the child still counts (tick resolution)', () => {
  expect(couldBeParent({ ppid: 0, cmd: 'p', startTimeNs: 100n + tickNs() }, { ppid: 1, cmd: 'c', startTimeNs: 100n })).toBe(true);
  expect(couldBeParent({ ppid: 0, cmd: 'p', startTimeNs: 101n + tickNs() }, { ppid: 1, cmd: 'c', startTimeNs: 100n })).toBe(false);
});

test('unknown start times give the benefit of the doubt', () => {
  expect(couldBeParent({ ppid: 0, cmd: 'p' }, { ppid: 1, cmd: 'c', startTimeNs: 1n })).toBe(true);
  expect(couldBeParent({ ppid: 0, cmd: 'p', startTimeNs: 9n }, { ppid: 1, cmd: 'c' })).toBe(true);
});
