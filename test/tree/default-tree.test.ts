import { setTimeout as sleep } from 'node:timers/promises';
import { expect, test } from 'vitest';
import { readProcEntry } from '../../src/proc/read-proc-entry.js';
import { DefaultCache, DefaultTree } from '../../src/tree/default-tree.js';
import type { CacheStore, TreeStore } from '../../src/tree/stores.js';

test('DefaultTree stores real /proc nodes by pid through the TreeStore interface', () => {
  const tree: TreeStore = new DefaultTree();
  for (const pid of [1, process.pid]) {
    const entry = readProcEntry(pid);
    if (entry.ok) tree.insertNode(pid, entry.node);
  }
  expect(tree.allPids().sort((a, b) => a - b)).toEqual([1, process.pid].sort((a, b) => a - b));
  expect(tree.getNode(process.pid)?.ppid).toBe(process.ppid);
  expect(tree.getNode(123456789)).toBeUndefined();
});

test('DefaultCache stores real /proc info and forgets it after its TTL', async () => {
  const cache: CacheStore = new DefaultCache({ ttlMs: 50 });
  const entry = readProcEntry(process.pid);
  expect(entry.ok).toBe(true);
  if (!entry.ok) return;
  cache.insertInfo(process.pid, entry.info);
  expect(cache.getInfo(process.pid)).toEqual(entry.info);
  await sleep(70);
  expect(cache.getInfo(process.pid)).toBeUndefined();
});

test('DefaultTree with TTL drops stale pids from allPids', async () => {
  const tree = new DefaultTree({ ttlMs: 50 });
  tree.insertNode(1, { ppid: 0, cmd: 'init' });
  await sleep(70);
  tree.insertNode(2, { ppid: 0, cmd: 'kthreadd' });
  expect(tree.allPids()).toEqual([2]);
});
