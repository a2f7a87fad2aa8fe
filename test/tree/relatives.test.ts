import { describe, expect, test } from 'vitest';
import { DefaultCache, DefaultTree } from '../../src/tree/default-tree.js';
import { childIndex, children, descendants, siblings, treeLen } from '../../src/tree/relatives.js';
import { snapshot } from '../../src/tree/snapshot.js';
import { useLiveChain } from './live-chain-fixture.js';

const tree = new DefaultTree();
const chain = useLiveChain(() => snapshot(tree, new DefaultCache()));

describe('on a snapshot of real processes', () => {
  test('children are the direct children, ascending', () => {
    expect(children(tree, chain.inner)).toEqual([chain.sleepA, chain.sleepB].sort((a, b) => a - b));
    expect(children(tree, chain.outer)).toEqual([chain.inner]);
    expect(children(tree, chain.sleepA)).toEqual([]);
    expect(children(tree, process.pid)).toContain(chain.outer);
  });

  test('descendants come breadth first', () => {
    expect(descendants(tree, chain.outer)).toEqual([chain.inner, ...[chain.sleepA, chain.sleepB].sort((a, b) => a - b)]);
    expect(descendants(tree, chain.sleepB)).toEqual([]);
  });

  test('siblings share the parent and exclude the pid itself', () => {
    expect(siblings(tree, chain.sleepA)).toEqual([chain.sleepB]);
    expect(siblings(tree, chain.inner)).toEqual([]);
    expect(siblings(tree, 987654321)).toEqual([]);
  });

  test('treeLen counts every pid', () => {
    expect(treeLen(tree)).toBe(tree.allPids().length);
    expect(treeLen(new DefaultTree())).toBe(0);
  });
});

describe('on damaged or reused trees', () => {
  test('descendants terminates on a parent cycle', () => {
    const cyclic = new DefaultTree();
    cyclic.insertNode(10, { ppid: 30, cmd: 'a' });
    cyclic.insertNode(20, { ppid: 10, cmd: 'b' });
    cyclic.insertNode(30, { ppid: 20, cmd: 'c' });
    expect(descendants(cyclic, 10)).toEqual([20, 30]);
  });

  test('a process that reused a dead parent pid does not adopt its children', () => {
    const reused = new DefaultTree();
    reused.insertNode(500, { ppid: 1, cmd: 'newcomer', startTimeNs: 2_000_000_000n });
    reused.insertNode(600, { ppid: 500, cmd: 'orphan', startTimeNs: 1_000_000_000n });
    expect(children(reused, 500)).toEqual([]);
    expect(childIndex(reused).get(500)).toBeUndefined();
  });
});
