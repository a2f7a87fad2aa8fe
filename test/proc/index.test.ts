import { expect, test } from 'vitest';
import * as lib from '../../src/index.js';
import { startSleep } from '../tree/live-chain-fixture.js';

test('the proc module and its two crate re-exports are reachable from the package root', async () => {
  expect(lib.proc.parseProcEntry).toBe(lib.parseProcEntry);
  expect(lib.proc.readProcStartTimeNs).toBe(lib.readProcStartTimeNs);
  const sleeper = await startSleep();
  try {
    const [node, info] = lib.proc.parseProcEntry(sleeper.pid)!;
    expect(node.ppid).toBe(process.pid);
    expect(info.startTimeNs).toBe(lib.readProcStartTimeNs(sleeper.pid));
  } finally {
    await sleeper.stop();
  }
});
