import { expect, test } from 'vitest';
import { DefaultCache, DefaultTree } from '../../src/tree/default-tree.js';
import { display, rootPids } from '../../src/tree/display.js';
import { snapshot } from '../../src/tree/snapshot.js';
import { useLiveChain } from './live-chain-fixture.js';

const tree = new DefaultTree();
const chain = useLiveChain(() => snapshot(tree, new DefaultCache()));

test('draws the real chain with pstree connectors, children ascending', () => {
  const [first, second] = [chain.sleepA, chain.sleepB].sort((a, b) => a - b);
  expect(display(tree, chain.outer)).toBe(
    [`${chain.outerComm}(${chain.outer})`, `└─${chain.innerComm}(${chain.inner})`, `  ├─sleep(${first})`, `  └─sleep(${second})`].join('\n'),
  );
});

test('draws │ for a parent with more siblings below it', () => {
  const text = display(tree, process.pid).split('\n');
  const outerLine = text.findIndex((l) => l.includes(`(${chain.outer})`));
  expect(outerLine).toBeGreaterThan(0);
  const isLastChild = text[outerLine]!.startsWith('└─');
  expect(text[outerLine + 1]).toBe(`${isLastChild ? '  ' : '│ '}└─${chain.innerComm}(${chain.inner})`);
});

test('the whole machine starts at init and kthreadd', () => {
  const roots = rootPids(tree);
  expect(roots).toContain(1);
  expect(roots).toContain(2);
  expect(roots).not.toContain(chain.inner);
  const lines = roots.map((r) => display(tree, r)).join('\n').split('\n');
  expect(lines.length).toBe(tree.allPids().length); // every process exactly once
});

test('a leaf or unknown root prints alone, a cycle prints each process once', () => {
  expect(display(tree, chain.sleepA)).toBe(`sleep(${chain.sleepA})`);
  expect(display(new DefaultTree(), 42)).toBe('?(42)');
  const cyclic = new DefaultTree();
  cyclic.insertNode(10, { ppid: 20, cmd: 'a' });
  cyclic.insertNode(20, { ppid: 10, cmd: 'b' });
  expect(display(cyclic, 10)).toBe('a(10)\n└─b(20)');
});

test('marks exited processes', () => {
  const t = new DefaultTree();
  t.insertNode(1, { ppid: 0, cmd: 'init' });
  t.insertNode(7, { ppid: 1, cmd: 'gone', exitTimeNs: 5n });
  expect(display(t, 1)).toBe('init(1)\n└─gone(7) [exited]');
});
