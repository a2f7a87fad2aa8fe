import { expect, test } from 'vitest';
import { buildChainLinks } from '../../src/tree/chain.js';
import { DefaultCache, DefaultTree } from '../../src/tree/default-tree.js';
import { seedAncestry } from '../../src/tree/seed-ancestry.js';
import { snapshot } from '../../src/tree/snapshot.js';
import { useLiveChain, startSleep } from './live-chain-fixture.js';

const chain = useLiveChain();

test('reads just the ancestry and gives the same chain as a full snapshot', () => {
  const tree = new DefaultTree();
  const cache = new DefaultCache();
  expect(seedAncestry(tree, cache, chain.sleepB).ok).toBe(true);
  const full = new DefaultTree();
  const fullCache = new DefaultCache();
  snapshot(full, fullCache);
  expect(buildChainLinks(tree, cache, chain.sleepB)).toEqual(buildChainLinks(full, fullCache, chain.sleepB));
  expect(tree.getNode(chain.sleepA)).toBeUndefined(); // a sibling is not an ancestor
  expect(tree.allPids()).toContain(1);
});

test('reports a pid that is gone and stores nothing', async () => {
  const sleeper = await startSleep();
  await sleeper.stop();
  const tree = new DefaultTree();
  expect(seedAncestry(tree, new DefaultCache(), sleeper.pid)).toMatchObject({ ok: false, problem: 'gone' });
  expect(tree.allPids()).toEqual([]);
});
