/**
 * The pid-keyed tree fed with audit events of work inside a pid namespace: forks there
 * return namespace-local pids, which must not overwrite other processes' nodes.
 */
import { describe, expect, it } from 'vitest';
import { captureEvents } from '../support/capture-events.js';
import type { ProcEvent } from '../../src/events/proc-event.js';
import { buildChainLinks } from '../../src/tree/chain.js';
import { DefaultCache, DefaultTree } from '../../src/tree/default-tree.js';
import { handleEvents } from '../../src/tree/handle-event.js';
import { exec, exit, fork, namespacedWork, seen } from '../history/event-builders.js';
import { FORK_SYSCALLS, processSyscalls, scanAuditLogs } from '../support/audit-records.js';
import { listAuditdCaptures } from '../support/truth.js';

function replay(events: ProcEvent[]) {
  const tree = new DefaultTree();
  const cache = new DefaultCache();
  handleEvents(tree, cache, events);
  return { tree, cache, chain: (pid: number) => buildChainLinks(tree, cache, pid).map((l) => l.pid) };
}

describe('tree: forks inside a pid namespace', () => {
  const base: ProcEvent[] = [seen(0, 1, 0, 'systemd'), seen(1, 100, 1, 'bash')];

  it('creates children of a namespaced process under their own pids and leaves the host process a fork returned alone', () => {
    const { tree, chain } = replay(namespacedWork(base));
    expect(chain(5003)).toEqual([5003, 5001, 5000, 100, 1]);
    expect(chain(5007)).toEqual([5007, 5006, 5005, 5001, 5000, 100, 1]);
    expect(tree.getNode(5002)!.ppid).toBe(100); // the host sleep
    expect(tree.getNode(5002)!.cmd).toBe('sleep');
    expect(tree.getNode(5000)!.ppid).toBe(100); // the outer unshare
    expect(tree.getNode(5004)!.startTimeNs).toBeDefined(); // born at a fork of 5001
    // Namespace-local pids: a node that ended at its fork, no live process.
    const two = tree.getNode(2);
    expect(two === undefined || two.exitTimeNs === two.startTimeNs).toBe(true);
  });

  it('keeps ordinary forks whose children show up out of order (nearby pids) as they were', () => {
    const { chain, tree } = replay([...base, fork(10, 100, 6851), exec(11, 6852, 100, ['true']), exec(12, 6851, 100, ['true']), fork(10.5, 100, 6852), exit(20, 6851, 100)]);
    expect(chain(6851)).toEqual([6851, 100, 1]);
    expect(chain(6852)).toEqual([6852, 100, 1]);
    expect(tree.getNode(6851)!.exitTimeNs).toBeDefined();
  });

  it('takes the forks of a clone(CLONE_NEWPID) child as namespace-local from its first one, even when they return nearby host pids', () => {
    // 200 clones 201 into a new namespace; 201 execs sh; its first fork returns 202, the
    // host pid of a live sleep; its child shows up as 203 (host pid, one away: detection from
    // effects cannot fire).
    const events: ProcEvent[] = [
      ...base,
      fork(10, 100, 202),
      exec(11, 202, 100, ['sleep', '3']),
      fork(20, 100, 200),
      exec(21, 200, 100, ['runtime']),
      fork(30, 200, 201, { newPidNamespace: true }),
      exec(31, 201, 200, ['sh', '-c', 'cat']),
      fork(40, 201, 202),
      exec(41, 203, 201, ['cat']),
      exit(50, 203, 201),
    ];
    const { tree, chain } = replay(events);
    expect(chain(202)).toEqual([202, 100, 1]);
    expect(tree.getNode(202)!.cmd).toBe('sleep');
    expect(tree.getNode(202)!.exitTimeNs).toBeUndefined();
    expect(chain(203)).toEqual([203, 201, 200, 100, 1]);
    expect(tree.getNode(203)!.startTimeNs).toBe(events[8]!.timestampNs); // born at 201's fork
    // Without the flag the same log loses the sleep: what the flag is for.
    const plain = replay(events.map((e) => (e.kind === 'fork' && e.newPidNamespace ? { ...e, newPidNamespace: undefined } : e)));
    expect(plain.tree.getNode(202)!.ppid).toBe(201);
  });

  it('gives every process of the real capture clone-newpid the parent /proc showed first', () => {
    const capture = listAuditdCaptures().find((c) => c.meta.name === 'clone-newpid')!;
    const { tree } = replay(captureEvents(capture.logFiles));
    const firstParent = new Map<number, number>();
    for (const p of capture.truth.probes) if (!firstParent.has(p.pid)) firstParent.set(p.pid, p.chain[0]!.ppid);
    const wrong = [...firstParent].filter(([pid, ppid]) => pid !== capture.meta.rootPid && tree.getNode(pid)?.ppid !== ppid);
    expect(wrong).toEqual([]);
    expect(firstParent.size).toBeGreaterThan(10);
  });

  it('gives every process of the real capture pid-namespace the parent /proc showed first', () => {
    const capture = listAuditdCaptures().find((c) => c.meta.name === 'pid-namespace')!;
    const { tree } = replay(captureEvents(capture.logFiles));
    const firstParent = new Map<number, number>();
    for (const p of capture.truth.probes) if (!firstParent.has(p.pid)) firstParent.set(p.pid, p.chain[0]!.ppid);
    const wrong = [...firstParent].filter(([pid, ppid]) => pid !== capture.meta.rootPid && tree.getNode(pid)?.ppid !== ppid);
    expect(wrong).toEqual([]);
    // And no live node under a pid only a fork inside the namespace returned.
    const syscalls = processSyscalls(scanAuditLogs(capture.logFiles).records);
    const local = syscalls.filter((s) => FORK_SYSCALLS.has(s.name) && s.exit !== undefined && s.exit > 0 && !firstParent.has(s.exit));
    expect(local.length).toBeGreaterThanOrEqual(5);
    for (const f of local) {
      const node = tree.getNode(f.exit!);
      expect(node === undefined || node.exitTimeNs !== undefined, `pid ${f.exit}`).toBe(true);
    }
  });
});
