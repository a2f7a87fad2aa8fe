import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parseStat } from '../../src/proc/parse-stat.js';
import { buildChainLinks, buildChainString, formatLink, isDescendant, MAX_CHAIN_LENGTH } from '../../src/tree/chain.js';
import { DefaultCache, DefaultTree } from '../../src/tree/default-tree.js';
import { snapshot } from '../../src/tree/snapshot.js';
import { useLiveChain } from './live-chain-fixture.js';

const tree = new DefaultTree();
const cache = new DefaultCache();
const chain = useLiveChain(() => snapshot(tree, cache));

/** The ancestry as the kernel reports it, following stat's ppid field up to pid 0. */
function kernelAncestry(pid: number): number[] {
  const pids: number[] = [];
  for (let current = pid; current !== 0; current = parseStat(readFileSync(`/proc/${current}/stat`, 'utf8'))!.ppid) {
    pids.push(current);
  }
  return pids;
}

describe('buildChainLinks on a real snapshot', () => {
  test('walks self first up to init, matching the kernel parent links', () => {
    const links = buildChainLinks(tree, cache, chain.sleepA);
    expect(links.map((l) => l.pid)).toEqual(kernelAncestry(chain.sleepA));
    expect(links.slice(0, 3).map((l) => l.cmd)).toEqual(['sleep', chain.innerComm, chain.outerComm]);
    expect(links[links.length - 1]!.pid).toBe(1);
    expect(links[0]).toMatchObject({ ppid: chain.inner, argv: ['sleep', '300'], uid: process.getuid!() });
    expect(links[0]!.startTimeNs).toBe(cache.getInfo(chain.sleepA)!.startTimeNs);
  });

  test('is empty for a pid the tree does not hold', () => {
    expect(buildChainLinks(tree, cache, 999_999_999)).toEqual([]);
  });
});

describe('buildChainString', () => {
  test('uses the crate format pid|cmd|user joined by ;', () => {
    const links = buildChainLinks(tree, cache, chain.inner);
    const text = buildChainString(tree, cache, chain.inner);
    expect(text).toBe(links.map((l) => `${l.pid}|${l.cmd}|${l.user}`).join(';'));
    expect(text.startsWith(`${chain.inner}|${chain.innerComm}|${cache.getInfo(chain.inner)!.user};${chain.outer}|${chain.outerComm}|`)).toBe(true);
  });

  test('formatLink matches the crate example', () => {
    expect(formatLink({ pid: 102, cmd: 'touch', user: 'root' })).toBe('102|touch|root');
  });
});

describe('isDescendant', () => {
  test('is true for any strict ancestor name and false for the process itself', () => {
    expect(isDescendant(tree, chain.sleepA, chain.innerComm)).toBe(true);
    expect(isDescendant(tree, chain.sleepA, chain.outerComm)).toBe(true);
    expect(isDescendant(tree, chain.sleepA, tree.getNode(1)!.cmd)).toBe(true);
    expect(isDescendant(tree, chain.sleepA, 'sleep')).toBe(false);
    expect(isDescendant(tree, chain.outer, chain.innerComm)).toBe(false);
  });
});

describe('on damaged trees', () => {
  test('a parent cycle ends the chain instead of looping', () => {
    const cyclic = new DefaultTree();
    cyclic.insertNode(10, { ppid: 20, cmd: 'a' });
    cyclic.insertNode(20, { ppid: 10, cmd: 'b' });
    expect(buildChainLinks(cyclic, new DefaultCache(), 10).map((l) => l.pid)).toEqual([10, 20]);
    expect(isDescendant(cyclic, 10, 'nowhere')).toBe(false);
    const self = new DefaultTree();
    self.insertNode(5, { ppid: 5, cmd: 'self' });
    expect(buildChainLinks(self, new DefaultCache(), 5).map((l) => l.pid)).toEqual([5]);
  });

  test('an absurdly deep chain is cut at MAX_CHAIN_LENGTH', () => {
    const deep = new DefaultTree();
    for (let pid = 1; pid <= MAX_CHAIN_LENGTH + 100; pid++) deep.insertNode(pid, { ppid: pid - 1, cmd: 'x' });
    expect(buildChainLinks(deep, new DefaultCache(), MAX_CHAIN_LENGTH + 100)).toHaveLength(MAX_CHAIN_LENGTH);
  });

  test('stops at a parent pid now held by a younger process', () => {
    const reused = new DefaultTree();
    reused.insertNode(100, { ppid: 1, cmd: 'newcomer', startTimeNs: 5_000_000_000n });
    reused.insertNode(200, { ppid: 100, cmd: 'child', startTimeNs: 1_000_000_000n });
    expect(buildChainLinks(reused, new DefaultCache(), 200).map((l) => l.pid)).toEqual([200]);
    expect(isDescendant(reused, 200, 'newcomer')).toBe(false);
  });

  test('ignores cached info of an older or newer process on the same pid', () => {
    const t = new DefaultTree();
    const c = new DefaultCache();
    t.insertNode(300, { ppid: 0, cmd: 'node-process', startTimeNs: 9_000_000_000n });
    const other = { pid: 300, ppid: 0, cmd: 'other', exe: '/other', argv: [], user: 'mallory', uid: 1, euid: 1 };
    c.insertInfo(300, { ...other, startTimeNs: 1_000_000_000n });
    expect(buildChainLinks(t, c, 300)[0]).toMatchObject({ cmd: 'node-process', user: '', exe: '' });
    c.insertInfo(300, { ...other, startTimeNs: 20_000_000_000n });
    expect(buildChainLinks(t, c, 300)[0]).toMatchObject({ cmd: 'node-process', user: '', exe: '' });
    c.insertInfo(300, { ...other, startTimeNs: 9_000_000_000n });
    expect(buildChainLinks(t, c, 300)[0]).toMatchObject({ cmd: 'node-process', user: 'mallory', exe: '/other' });
  });
});
