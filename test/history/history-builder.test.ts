import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ancestryAt } from '../../src/history/ancestry-at.js';
import { WritableHistory } from '../../src/history/history-database.js';
import { NoProcessAtTimeError } from '../../src/history/query-errors.js';
import { timeline } from '../../src/history/timeline.js';
import { at, exec, exit, fork, namespacedWork, seen, type ProcEvent } from './event-builders.js';

let dir: string;
let history: WritableHistory;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'proc-tree-builder-'));
  history = WritableHistory.open(join(dir, 'h.db'));
});
afterEach(() => {
  history.close();
  rmSync(dir, { recursive: true, force: true });
});

function ingest(events: ProcEvent[]): ReturnType<WritableHistory['builder']> {
  const builder = history.builder();
  history.begin();
  for (const e of events) builder.onEvent(e);
  builder.saveState();
  history.commit();
  return builder;
}

const chainAt = async (pid: number, ms: number, lineage: 'parent' | 'creator' = 'parent'): Promise<number[]> =>
  (await ancestryAt(history.store(), { pid, atNs: at(ms), lineage })).chain.map((l) => l.pid);

/** init(1) -> bash(100), both pre-existing, as audit shows them. */
const base: ProcEvent[] = [seen(0, 1, 0, 'systemd'), seen(1, 100, 1, 'bash')];

describe('history builder', () => {
  it('gives a forked child its creator as parent and the image in force at each time', async () => {
    ingest([...base, fork(10, 100, 200), exec(20, 200, 100, ['ls', '-l']), exit(30, 200, 100)]);
    expect(await chainAt(200, 15)).toEqual([200, 100, 1]);
    const before = await ancestryAt(history.store(), { pid: 200, atNs: at(15) });
    expect(before.chain[0]!.cmd).toBe('bash'); // inherited from bash until exec
    expect(before.chain[0]!.startKnown).toBe(true);
    expect((await ancestryAt(history.store(), { pid: 200, atNs: at(25) })).chain[0]!.cmd).toBe('ls -l');
    await expect(chainAt(200, 30)).rejects.toThrow(NoProcessAtTimeError);
    await expect(chainAt(200, 5)).rejects.toThrow(/no process with pid 200/);
  });

  it('closes the old holder of a pid when a fork returns that pid again (killed, no exit record)', async () => {
    ingest([...base, seen(2, 300, 1, 'cron'), fork(10, 100, 200), exec(11, 200, 100, ['sleep', '1000']), fork(50, 300, 200), exec(51, 200, 300, ['backup'])]);
    expect(await chainAt(200, 20)).toEqual([200, 100, 1]);
    expect(await chainAt(200, 60)).toEqual([200, 300, 1]);
    const t = await timeline(history.store(), { pid: 200 });
    expect(t.entries).toHaveLength(2);
    expect(t.entries[0]!.instance.endCertainty).toBe('inferred');
    expect(t.entries[0]!.instance.endReason).toBe('pid-reused');
  });

  it('records reparenting to init after the parent exited, as a parent change of the same process', async () => {
    ingest([...base, fork(10, 100, 150), fork(12, 150, 160), exit(13, 150, 100), exec(20, 160, 1, ['true'])]);
    expect(await chainAt(160, 12.5)).toEqual([160, 150, 100, 1]);
    expect(await chainAt(160, 25)).toEqual([160, 1]);
    const t = await timeline(history.store(), { pid: 160 });
    expect(t.entries).toHaveLength(1);
    expect(t.entries[0]!.parents.map((p) => p.kind)).toEqual(['fork', 'reparent']);
  });

  it('treats a move to init while the old parent looked alive as a reparent and ends the old parent (it was killed)', async () => {
    ingest([...base, fork(10, 100, 150), fork(12, 150, 160), exec(20, 160, 1, ['true'])]);
    expect(await chainAt(160, 25)).toEqual([160, 1]);
    const parent = (await timeline(history.store(), { pid: 150 })).entries[0]!.instance;
    expect(parent.endCertainty).toBe('inferred');
    expect(parent.endReason).toBe('children-reparented');
    expect(parent.endNs).toBe(at(20));
  });

  it('refines an inferred end with the exit record that arrives later', async () => {
    ingest([...base, fork(10, 100, 150), fork(12, 150, 160), seen(20, 160, 1), exit(15, 150, 100)]);
    const parent = (await timeline(history.store(), { pid: 150 })).entries;
    expect(parent).toHaveLength(1);
    expect(parent[0]!.instance.endNs).toBe(at(15));
    expect(parent[0]!.instance.endCertainty).toBe('observed');
  });

  it('opens a new instance when a pid shows a parent that cannot be a reaper while the old parent lives (reuse without a fork record)', async () => {
    ingest([...base, seen(2, 300, 1, 'cron'), fork(10, 100, 200), seen(40, 200, 300, 'backup')]);
    expect(await chainAt(200, 20)).toEqual([200, 100, 1]);
    const later = await ancestryAt(history.store(), { pid: 200, atNs: at(45) });
    expect(later.chain.map((l) => l.pid)).toEqual([200, 300, 1]);
    expect(later.chain[0]!.startKnown).toBe(false);
    const entries = (await timeline(history.store(), { pid: 200 })).entries;
    expect(entries.map((e) => e.instance.endReason ?? null)).toEqual(['pid-reused-unseen-fork', null]);
  });

  it('merges a child sighted before its fork record into the forked instance', async () => {
    ingest([...base, exec(5, 200, 100, ['ls']), fork(4, 100, 200), exit(6, 200, 100)]);
    const entries = (await timeline(history.store(), { pid: 200 })).entries;
    expect(entries).toHaveLength(1);
    expect(entries[0]!.instance.startKnown).toBe(true);
    expect(entries[0]!.instance.startNs).toBe(at(4));
    expect(entries[0]!.instance.creatorPid).toBe(100);
    expect(entries[0]!.parents.map((p) => p.kind)).toEqual(['fork']);
  });

  it('merges a late fork record into a child that already exited', async () => {
    ingest([...base, exec(5, 200, 100, ['ls']), exit(6, 200, 100), fork(4, 100, 200)]);
    const entries = (await timeline(history.store(), { pid: 200 })).entries;
    expect(entries).toHaveLength(1);
    expect(entries[0]!.instance.startKnown).toBe(true);
    expect(entries[0]!.instance.endNs).toBe(at(6));
  });

  it('keeps clone3 children pending until they show up under their own pid', async () => {
    ingest([...base, fork(10, 100, 300, { maybeThread: true }), fork(11, 100, 301, { maybeThread: true }), exec(12, 301, 100, ['spawned'])]);
    expect((await timeline(history.store(), { pid: 300 })).entries).toHaveLength(0);
    const spawned = (await timeline(history.store(), { pid: 301 })).entries;
    expect(spawned).toHaveLength(1);
    expect(spawned[0]!.instance.startNs).toBe(at(11));
    expect(spawned[0]!.instance.creatorPid).toBe(100);
    expect(await chainAt(301, 11.5)).toEqual([301, 100, 1]);
  });

  it('marks an answer uncertain when events were lost before the query time', async () => {
    ingest([...base, fork(10, 100, 200), { kind: 'loss', timestampNs: at(15), count: 3, reason: 'audit serial gap' }]);
    const result = await ancestryAt(history.store(), { pid: 200, atNs: at(20) });
    expect(result.uncertain).toBe(true);
    expect(result.notes.join(' ')).toMatch(/events may be missing/);
    expect((await ancestryAt(history.store(), { pid: 200, atNs: at(12) })).uncertain).toBe(false);
  });

  it('keeps hosts apart', async () => {
    ingest([
      { ...seen(0, 1, 0, 'init'), host: 'a' },
      { ...seen(0, 1, 0, 'init'), host: 'b' },
      { ...fork(10, 1, 500), host: 'a' },
      { ...seen(5, 700, 1, 'x'), host: 'b' },
      { ...fork(11, 700, 500), host: 'b' },
    ]);
    const store = history.store();
    expect((await ancestryAt(store, { host: 'a', pid: 500, atNs: at(20) })).chain.map((l) => l.pid)).toEqual([500, 1]);
    expect((await ancestryAt(store, { host: 'b', pid: 500, atNs: at(20) })).chain.map((l) => l.pid)).toEqual([500, 700, 1]);
    await expect(ancestryAt(store, { pid: 500, atNs: at(20) })).rejects.toThrow(/pid 500 is on hosts a, b \(.*\): pass --host NAME/);
  });

  it('follows creators with lineage creator even after reparenting', async () => {
    ingest([...base, fork(10, 100, 150), fork(12, 150, 160), exit(13, 150, 100), exec(20, 160, 1, ['daemon'])]);
    expect(await chainAt(160, 25, 'creator')).toEqual([160, 150, 100, 1]);
  });

  it('continues exactly after a restart: the live table and pending clone3 children come back from the database', async () => {
    const events: ProcEvent[] = [...base, fork(10, 100, 200), fork(11, 100, 301, { maybeThread: true }), exec(12, 200, 100, ['vim']), fork(13, 200, 210), exec(14, 301, 100, ['x']), exit(15, 200, 100), seen(16, 210, 1)];
    ingest(events.slice(0, 3));
    history.close();
    history = WritableHistory.open(join(dir, 'h.db'));
    ingest(events.slice(3));
    const split = dump(history);
    history.close();
    rmSync(join(dir, 'h.db'));
    history = WritableHistory.open(join(dir, 'h.db'));
    ingest(events);
    expect(dump(history)).toEqual(split);
    expect(await chainAt(210, 13.5)).toEqual([210, 200, 100, 1]);
    expect(await chainAt(301, 11.5)).toEqual([301, 100, 1]);
  });
});

const namespaced = namespacedWork(base);

describe('history builder: forks inside a pid namespace', () => {
  it('matches children of a namespaced process to its forks by their own records, not by the namespace-local pid', async () => {
    const builder = ingest(namespaced);
    expect(await chainAt(5003, 100)).toEqual([5003, 5001, 5000, 100, 1]);
    expect(await chainAt(5004, 100)).toEqual([5004, 5001, 5000, 100, 1]);
    // Born at the namespace's forks, not first seen at their exec; 5004 showed up first
    // but host pids go in fork order: 5003 is the first fork's child.
    expect((await ancestryAt(history.store(), { pid: 5004, atNs: at(44) })).chain[0]!.startKnown).toBe(true);
    expect(await chainAt(5003, 40.5)).toEqual([5003, 5001, 5000, 100, 1]);
    await expect(chainAt(5004, 40.5)).rejects.toThrow(NoProcessAtTimeError);
    expect(await chainAt(5004, 41.5)).toEqual([5004, 5001, 5000, 100, 1]);
    // No process ever held the namespace-local pids on this host.
    for (const ms of [40, 40.5, 41, 100, 520, 600]) await expect(chainAt(2, ms)).rejects.toThrow(NoProcessAtTimeError);
    await expect(chainAt(3, 100)).rejects.toThrow(NoProcessAtTimeError);
    expect(builder.stats.namespacedCallers).toBe(1);
    expect(builder.stats.namespaceForksWithdrawn).toBe(2);
  });

  it('leaves host processes whose pid a namespaced fork returned under their own parent', async () => {
    ingest(namespaced);
    for (const ms of [12, 498, 499.5, 600, 2000]) expect(await chainAt(5002, ms)).toEqual([5002, 100, 1]);
    expect((await timeline(history.store(), { pid: 5002 })).entries).toHaveLength(1);
    // The outer unshare is not made a child of the nested one (a cycle before the fix).
    for (const ms of [35, 511, 600]) expect(await chainAt(5000, ms)).toEqual([5000, 100, 1]);
  });

  it('treats descendants of a namespaced process as namespaced: a nested namespace and vfork children whose records come first', async () => {
    const builder = ingest(namespaced);
    expect(await chainAt(5005, 505)).toEqual([5005, 5001, 5000, 100, 1]);
    expect((await ancestryAt(history.store(), { pid: 5005, atNs: at(499.5) })).chain[0]!.startKnown).toBe(true);
    expect(await chainAt(5006, 600)).toEqual([5006, 5005, 5001, 5000, 100, 1]);
    expect(await chainAt(5007, 600)).toEqual([5007, 5006, 5005, 5001, 5000, 100, 1]);
    expect(builder.stats.namespaceChildrenMatched).toBe(5);
  });

  it('does not take a multithreaded parent whose vfork children show up first for a namespaced one (their pids are near)', async () => {
    // python3 threads running subprocess: 6852 execs before 6851 does and before its own vfork record.
    const builder = ingest([...base, fork(10, 100, 6851), exec(11, 6852, 100, ['true']), exec(12, 6851, 100, ['true']), fork(10.5, 100, 6852), exit(20, 6851, 100), exit(21, 6852, 100)]);
    expect(builder.stats.namespacedCallers).toBe(0);
    expect(await chainAt(6851, 10.2)).toEqual([6851, 100, 1]);
    expect(await chainAt(6852, 10.7)).toEqual([6852, 100, 1]);
  });

  it('takes the forks of a clone(CLONE_NEWPID) child and its descendants as namespace-local from the first one, even when they return nearby host pids', async () => {
    // 200 clones 201 into a new namespace; 201 execs sh; its first fork returns 202, the host
    // pid of a live sleep (one away from the child's host pid 203: detection from effects
    // cannot fire); 203's own fork returns 100 (bash's host pid) for child 204.
    const events: ProcEvent[] = [
      ...base,
      fork(10, 100, 202),
      exec(11, 202, 100, ['sleep', '3']),
      fork(20, 100, 200),
      exec(21, 200, 100, ['runtime']),
      fork(30, 200, 201, { newPidNamespace: true, parentPpid: 100 }),
      exec(31, 201, 200, ['sh', '-c', 'cat']),
      fork(40, 201, 202, { parentPpid: 200 }),
      exec(41, 203, 201, ['sh']),
      fork(45, 203, 100, { parentPpid: 201 }),
      exec(46, 204, 203, ['cat']),
      exit(50, 204, 203),
      exit(51, 203, 201),
    ];
    const builder = ingest(events);
    for (const ms of [35, 40.5, 47, 60]) expect(await chainAt(202, ms)).toEqual([202, 100, 1]);
    expect((await timeline(history.store(), { pid: 202 })).entries).toHaveLength(1);
    for (const ms of [45.5, 60]) expect(await chainAt(100, ms)).toEqual([100, 1]);
    expect(await chainAt(203, 40.5)).toEqual([203, 201, 200, 100, 1]); // born at 201's fork, before its exec
    expect(await chainAt(204, 45.5)).toEqual([204, 203, 201, 200, 100, 1]);
    expect(builder.stats.namespacedCallers).toBe(0); // known from the clone, not detected
    expect(builder.stats.namespaceChildrenMatched).toBe(2);
  });

  it('continues exactly after a restart in the middle of a namespace', async () => {
    const cut = namespaced.findIndex((e) => e.kind === 'exec' && e.pid === 5005);
    ingest(namespaced.slice(0, cut));
    history.close();
    history = WritableHistory.open(join(dir, 'h.db'));
    ingest(namespaced.slice(cut));
    const split = dump(history);
    history.close();
    rmSync(join(dir, 'h.db'));
    history = WritableHistory.open(join(dir, 'h.db'));
    ingest(namespaced);
    expect(dump(history)).toEqual(split);
  });
});

function dump(h: WritableHistory): unknown {
  return ['instances', 'parents', 'images', 'losses'].map((t) => h.db.prepare(`SELECT * FROM ${t} ORDER BY id`).all());
}
