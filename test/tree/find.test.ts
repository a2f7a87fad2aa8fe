import { expect, test } from 'vitest';
import { DefaultCache, DefaultTree } from '../../src/tree/default-tree.js';
import { findByCmd, findByUser } from '../../src/tree/find.js';
import { snapshot } from '../../src/tree/snapshot.js';
import { userName } from '../../src/proc/user-names.js';
import { useLiveChain } from './live-chain-fixture.js';

const tree = new DefaultTree();
const cache = new DefaultCache();
const chain = useLiveChain(() => snapshot(tree, cache));

test('findByCmd finds the renamed processes by their exact name', () => {
  expect(findByCmd(tree, chain.innerComm)).toEqual([chain.inner]);
  expect(findByCmd(tree, chain.outerComm)).toEqual([chain.outer]);
  expect(findByCmd(tree, 'a b')).toEqual([]);
});

test('findByCmd lists every sleep, including both of ours, ascending', () => {
  const sleeps = findByCmd(tree, 'sleep');
  expect(sleeps).toEqual(expect.arrayContaining([chain.sleepA, chain.sleepB]));
  expect(sleeps).toEqual([...sleeps].sort((a, b) => a - b));
});

test('findByCmd falls back to the cache for a node without a name', () => {
  const t = new DefaultTree();
  t.insertNode(chain.sleepA, { ppid: chain.inner, cmd: '' });
  expect(findByCmd(t, 'sleep', cache)).toEqual([chain.sleepA]);
  expect(findByCmd(t, 'sleep')).toEqual([]);
});

test('findByUser finds our processes by name and by uid', () => {
  const me = userName(process.getuid!());
  const mine = findByUser(tree, cache, me);
  expect(mine).toEqual(expect.arrayContaining([chain.outer, chain.inner, chain.sleepA, chain.sleepB, process.pid]));
  expect(findByUser(tree, cache, String(process.getuid!()))).toEqual(mine);
  expect(findByUser(tree, cache, 'no-such-user-xyz')).toEqual([]);
});
