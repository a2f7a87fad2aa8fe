import { readdirSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { expect, test } from 'vitest';
import { listPids } from '../../src/proc/list-pids.js';

test('lists init, kthreadd and this process, ascending', () => {
  const pids = listPids();
  expect(pids).toContain(1);
  expect(pids).toContain(2);
  expect(pids).toContain(process.pid);
  expect(pids).toEqual([...pids].sort((a, b) => a - b));
});

test('does not list thread ids as processes', async () => {
  // Make sure this process has a thread of its own to look for.
  const worker = new Worker('setTimeout(() => {}, 10000)', { eval: true });
  await new Promise((resolve) => worker.once('online', resolve));
  try {
    const tids = readdirSync(`/proc/${process.pid}/task`).map(Number).filter((tid) => tid !== process.pid);
    expect(tids.length).toBeGreaterThan(0);
    const pids = new Set(listPids());
    for (const tid of tids) expect(pids.has(tid)).toBe(false);
  } finally {
    await worker.terminate();
  }
});

test('reads another proc root when given one', () => {
  expect(() => listPids({ procRoot: '/nonexistent-proc-root' })).toThrow(/ENOENT/);
});
