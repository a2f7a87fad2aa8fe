import { readFileSync, readlinkSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import type { ProcEvent } from '../../src/events/proc-event.js';
import { parseCmdline } from '../../src/proc/parse-cmdline.js';
import { readProcStartTimeNs } from '../../src/proc/start-time.js';
import { buildChainLinks } from '../../src/tree/chain.js';
import { DefaultCache, DefaultTree } from '../../src/tree/default-tree.js';
import { display } from '../../src/tree/display.js';
import { handleEvent, handleEvents } from '../../src/tree/handle-event.js';
import { children } from '../../src/tree/relatives.js';
import { useLiveChain } from './live-chain-fixture.js';

const chain = useLiveChain();

const start = (pid: number): bigint => readProcStartTimeNs(pid)!;
const image = (pid: number) => ({ exe: readlinkSync(`/proc/${pid}/exe`), argv: parseCmdline(readFileSync(`/proc/${pid}/cmdline`, 'utf8')) });

/** The chain's history as a proc-connector/audit adapter would report it, from the real processes. */
function chainEvents(): ProcEvent[] {
  const uid = process.getuid!();
  return [
    { kind: 'observed', pid: chain.outer, ppid: process.pid, timestampNs: start(chain.outer), startTimeNs: start(chain.outer), image: { comm: chain.outerComm, ...image(chain.outer) }, creds: { uid, euid: uid, user: 'root' } },
    { kind: 'fork', childPid: chain.inner, parentPid: chain.outer, timestampNs: start(chain.inner) },
    { kind: 'exec', pid: chain.inner, timestampNs: start(chain.inner) + 1000n, image: image(chain.inner) },
    { kind: 'comm', pid: chain.inner, comm: chain.innerComm, timestampNs: start(chain.inner) + 2000n },
    { kind: 'fork', childPid: chain.sleepA, parentPid: chain.inner, timestampNs: start(chain.sleepA) },
    { kind: 'exec', pid: chain.sleepA, timestampNs: start(chain.sleepA) + 1000n, image: image(chain.sleepA) },
    { kind: 'fork', childPid: chain.sleepB, parentPid: chain.inner, timestampNs: start(chain.sleepB) },
    { kind: 'exec', pid: chain.sleepB, timestampNs: start(chain.sleepB) + 1000n, image: image(chain.sleepB) },
  ];
}

describe('handleEvents with the real chain history', () => {
  test('rebuilds the same ancestry, names and argv as /proc shows', () => {
    const tree = new DefaultTree();
    const cache = new DefaultCache();
    handleEvents(tree, cache, chainEvents());
    const links = buildChainLinks(tree, cache, chain.sleepA);
    expect(links.map((l) => [l.pid, l.cmd])).toEqual([
      [chain.sleepA, 'sleep'],
      [chain.inner, chain.innerComm],
      [chain.outer, chain.outerComm],
    ]);
    expect(links[0]).toMatchObject({ argv: ['sleep', '300'], user: 'root', startTimeNs: start(chain.sleepA) });
    expect(links[0]!.exe).toBe(readlinkSync(`/proc/${chain.sleepA}/exe`));
    expect(children(tree, chain.inner)).toEqual([chain.sleepA, chain.sleepB].sort((a, b) => a - b));
  });

  test('an exit keeps the process for late lookups and marks it', async () => {
    const tree = new DefaultTree();
    const cache = new DefaultCache();
    handleEvents(tree, cache, chainEvents());
    const exitAt = BigInt(Date.now()) * 1_000_000n;
    handleEvent(tree, cache, { kind: 'exit', pid: chain.sleepA, timestampNs: exitAt, exitSignal: 9 });
    expect(tree.getNode(chain.sleepA)?.exitTimeNs).toBe(exitAt);
    expect(buildChainLinks(tree, cache, chain.sleepA).map((l) => l.pid)).toEqual([chain.sleepA, chain.inner, chain.outer]);
    expect(display(tree, chain.inner)).toContain(`sleep(${chain.sleepA}) [exited]`);
  });

  test('a fork on a pid that is still in the tree starts a new process that adopts nobody', () => {
    const tree = new DefaultTree();
    const cache = new DefaultCache();
    handleEvents(tree, cache, chainEvents());
    // The kernel gave inner's pid to a new child of outer after inner died (we missed the exit).
    const later = start(chain.sleepB) + 60_000_000_000n;
    handleEvent(tree, cache, { kind: 'fork', childPid: chain.inner, parentPid: chain.outer, timestampNs: later });
    expect(tree.getNode(chain.inner)?.startTimeNs).toBe(later);
    expect(children(tree, chain.inner)).toEqual([]);
    expect(buildChainLinks(tree, cache, chain.sleepA).map((l) => l.pid)).toEqual([chain.sleepA]);
  });

  test('an exec on an exited pid is a new process, not the dead one', () => {
    const tree = new DefaultTree();
    const cache = new DefaultCache();
    handleEvents(tree, cache, chainEvents());
    const t = start(chain.sleepA);
    handleEvent(tree, cache, { kind: 'exit', pid: chain.sleepA, timestampNs: t + 10n });
    handleEvent(tree, cache, { kind: 'exec', pid: chain.sleepA, ppid: 1, timestampNs: t + 20n, image: { exe: '/usr/bin/id', argv: ['id'] } });
    expect(tree.getNode(chain.sleepA)).toEqual({ ppid: 1, cmd: 'id' });
    expect(cache.getInfo(chain.sleepA)).toMatchObject({ cmd: 'id', argv: ['id'], startTimeNs: t + 20n, user: '' });
  });
});

describe('handleEvent with the other event kinds', () => {
  test('observed with a new ppid reparents; without one it keeps the parent', () => {
    const tree = new DefaultTree();
    const cache = new DefaultCache();
    handleEvents(tree, cache, chainEvents());
    const now = BigInt(Date.now()) * 1_000_000n;
    handleEvent(tree, cache, { kind: 'observed', pid: chain.sleepB, timestampNs: now });
    expect(tree.getNode(chain.sleepB)?.ppid).toBe(chain.inner);
    handleEvent(tree, cache, { kind: 'observed', pid: chain.sleepB, ppid: 1, timestampNs: now });
    expect(tree.getNode(chain.sleepB)).toMatchObject({ ppid: 1, cmd: 'sleep', startTimeNs: start(chain.sleepB) });
  });

  test('observed with another start time replaces the process on that pid', () => {
    const tree = new DefaultTree();
    const cache = new DefaultCache();
    handleEvents(tree, cache, chainEvents());
    const other = start(chain.sleepB) + 5_000_000_000n;
    handleEvent(tree, cache, { kind: 'observed', pid: chain.sleepB, ppid: 1, startTimeNs: other, timestampNs: other, image: { comm: 'cron' } });
    expect(tree.getNode(chain.sleepB)).toEqual({ ppid: 1, cmd: 'cron', startTimeNs: other });
    expect(cache.getInfo(chain.sleepB)).toMatchObject({ cmd: 'cron', argv: [], startTimeNs: other });
  });

  test('creds update the user; a bare uid from a replayed log stays numeric', () => {
    const tree = new DefaultTree();
    const cache = new DefaultCache();
    handleEvents(tree, cache, chainEvents());
    handleEvent(tree, cache, { kind: 'creds', pid: chain.sleepA, timestampNs: 1n, creds: { uid: 1001, euid: 1001 } });
    expect(cache.getInfo(chain.sleepA)).toMatchObject({ uid: 1001, euid: 1001, user: '1001' });
    handleEvent(tree, cache, { kind: 'creds', pid: chain.sleepA, timestampNs: 2n, creds: { uid: 0, user: 'root' } });
    expect(cache.getInfo(chain.sleepA)).toMatchObject({ uid: 0, user: 'root' });
  });

  test('sid, ptrace, coredump and loss change nothing', () => {
    const tree = new DefaultTree();
    const cache = new DefaultCache();
    handleEvents(tree, cache, chainEvents());
    const before = structuredClone(tree.allPids().map((p) => [tree.getNode(p), cache.getInfo(p)]));
    handleEvents(tree, cache, [
      { kind: 'sid', pid: chain.inner, timestampNs: 1n },
      { kind: 'ptrace', pid: chain.sleepA, tracerPid: chain.inner, timestampNs: 2n },
      { kind: 'coredump', pid: chain.sleepB, timestampNs: 3n },
      { kind: 'loss', reason: 'audit-serial-gap', count: 4, timestampNs: 4n },
    ]);
    expect(tree.allPids().map((p) => [tree.getNode(p), cache.getInfo(p)])).toEqual(before);
  });

  test('a maybe-thread fork is held until the child acts as a process, and a thread never enters', () => {
    const tree = new DefaultTree();
    const cache = new DefaultCache();
    handleEvents(tree, cache, chainEvents().slice(0, 4));
    handleEvent(tree, cache, { kind: 'fork', childPid: chain.sleepA, parentPid: chain.inner, timestampNs: start(chain.sleepA), maybeThread: true });
    handleEvent(tree, cache, { kind: 'fork', childPid: 4_000_001, parentPid: chain.inner, timestampNs: start(chain.sleepA), maybeThread: true });
    expect(tree.getNode(chain.sleepA)).toBeUndefined();
    handleEvent(tree, cache, { kind: 'exec', pid: chain.sleepA, timestampNs: start(chain.sleepA) + 1000n, image: image(chain.sleepA) });
    expect(tree.getNode(chain.sleepA)).toMatchObject({ ppid: chain.inner, cmd: 'sleep', startTimeNs: start(chain.sleepA) });
    expect(tree.getNode(4_000_001)).toBeUndefined();
  });
});

describe('handleEvent with readProc (live sources)', () => {
  test('fills a connector-style exec that names nothing from /proc', () => {
    const tree = new DefaultTree();
    const cache = new DefaultCache();
    handleEvent(tree, cache, { kind: 'fork', childPid: chain.sleepB, parentPid: chain.inner, timestampNs: start(chain.sleepB) }, { readProc: true });
    // readProc also pulled in the unknown parent.
    expect(tree.getNode(chain.inner)?.cmd).toBe(chain.innerComm);
    handleEvent(tree, cache, { kind: 'exec', pid: chain.sleepB, timestampNs: start(chain.sleepB) + 1000n, image: {} }, { readProc: true });
    expect(cache.getInfo(chain.sleepB)).toMatchObject({ cmd: 'sleep', argv: ['sleep', '301'], exe: readlinkSync(`/proc/${chain.sleepB}/exe`) });
  });

  test('does not read /proc by default, and never for an event older than the live process', () => {
    const tree = new DefaultTree();
    const cache = new DefaultCache();
    handleEvents(tree, cache, chainEvents().slice(0, 4));
    handleEvent(tree, cache, { kind: 'fork', childPid: chain.sleepB, parentPid: chain.inner, timestampNs: start(chain.sleepB) });
    handleEvent(tree, cache, { kind: 'exec', pid: chain.sleepB, timestampNs: start(chain.sleepB) + 1000n, image: {} });
    expect(tree.getNode(chain.sleepB)?.cmd).toBe(chain.innerComm); // inherited at fork, nothing new known

    const replay = new DefaultTree();
    const replayCache = new DefaultCache();
    const longAgo = start(chain.sleepB) - 3_600_000_000_000n; // an hour before the live sleep existed
    handleEvent(replay, replayCache, { kind: 'exec', pid: chain.sleepB, ppid: 77, timestampNs: longAgo, image: {} }, { readProc: true });
    expect(replay.getNode(chain.sleepB)).toEqual({ ppid: 77, cmd: '' });
    expect(replayCache.getInfo(chain.sleepB)).toMatchObject({ exe: '', argv: [] });
  });
});
