import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { listPids } from '../../src/proc/list-pids.js';
import { DefaultCache, DefaultTree } from '../../src/tree/default-tree.js';
import { treeLen } from '../../src/tree/relatives.js';
import { snapshot } from '../../src/tree/snapshot.js';
import { useLiveChain } from './live-chain-fixture.js';

const chain = useLiveChain();

describe('snapshot of the real /proc', () => {
  test('holds init, this process and the spawned chain with their real parents', () => {
    const tree = new DefaultTree();
    const cache = new DefaultCache();
    const summary = snapshot(tree, cache);
    expect(tree.getNode(1)?.ppid).toBe(0);
    expect(tree.getNode(process.pid)?.ppid).toBe(process.ppid);
    expect(tree.getNode(chain.outer)).toMatchObject({ ppid: process.pid, cmd: chain.outerComm });
    expect(tree.getNode(chain.inner)).toMatchObject({ ppid: chain.outer, cmd: chain.innerComm });
    expect(tree.getNode(chain.sleepA)).toMatchObject({ ppid: chain.inner, cmd: 'sleep' });
    expect(cache.getInfo(chain.sleepB)?.argv).toEqual(['sleep', '301']);
    expect(summary.processes).toBe(treeLen(tree));
    expect(summary.unreadable).toBe(0);
  });

  test('covers every listed process except those that exit meanwhile', () => {
    const tree = new DefaultTree();
    const before = listPids();
    const summary = snapshot(tree, new DefaultCache());
    const got = new Set(tree.allPids());
    const missing = before.filter((pid) => !got.has(pid));
    // Processes come and go while we read (other test workers), so allow the churn the summary reports.
    expect(missing.length).toBeLessThanOrEqual(summary.vanished + 5);
  });
});

describe('snapshot of an injected proc root', () => {
  const root = mkdtempSync(join(tmpdir(), 'proc-tree-snaproot-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  test('reads exactly the copied processes', () => {
    for (const pid of [chain.inner, chain.sleepA]) {
      const dir = join(root, String(pid));
      mkdirSync(dir);
      for (const file of ['stat', 'status', 'cmdline']) writeFileSync(join(dir, file), readFileSync(`/proc/${pid}/${file}`));
      symlinkSync(readlinkSync(`/proc/${pid}/exe`), join(dir, 'exe'));
    }
    mkdirSync(join(root, 'not-a-pid'));
    const tree = new DefaultTree();
    const summary = snapshot(tree, new DefaultCache(), { procRoot: root });
    expect(summary).toEqual({ processes: 2, vanished: 0, unreadable: 0 });
    expect(tree.getNode(chain.sleepA)?.ppid).toBe(chain.inner);
  });
});
