import { expect, test } from 'vitest';
import type { ForkEvent } from '../../src/events/proc-event.js';
import { DefaultTree } from '../../src/tree/default-tree.js';
import { dropFork, holdFork, MAX_PENDING_FORKS, takeFork } from '../../src/tree/pending-forks.js';

const fork = (childPid: number): ForkEvent => ({ kind: 'fork', childPid, parentPid: 1, timestampNs: BigInt(childPid), maybeThread: true });

test('a held fork is returned once, per tree', () => {
  const a = new DefaultTree();
  const b = new DefaultTree();
  holdFork(a, fork(10));
  expect(takeFork(b, 10)).toBeUndefined();
  expect(takeFork(a, 10)).toEqual(fork(10));
  expect(takeFork(a, 10)).toBeUndefined();
  holdFork(a, fork(11));
  dropFork(a, 11);
  expect(takeFork(a, 11)).toBeUndefined();
});

test('holds at most MAX_PENDING_FORKS and forgets the oldest first', () => {
  const tree = new DefaultTree();
  for (let pid = 1; pid <= MAX_PENDING_FORKS + 1; pid++) holdFork(tree, fork(pid));
  expect(takeFork(tree, 1)).toBeUndefined();
  expect(takeFork(tree, 2)).toBeDefined();
  expect(takeFork(tree, MAX_PENDING_FORKS + 1)).toBeDefined();
});
