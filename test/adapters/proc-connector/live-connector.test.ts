import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import type { IngestWarning } from '../../../src/events/event-sink.js';
import type { ExecEvent, ExitEvent, ForkEvent, ProcEvent } from '../../../src/events/proc-event.js';
import { runLiveConnector } from '../../../adapters/proc-connector/live-connector.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function ppidOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

async function waitFor<T>(find: () => T | undefined, what: string, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('live proc connector (needs root)', () => {
  it('decodes real forks, execs, exits, a thread that forks and a reparented orphan', async () => {
    const events: ProcEvent[] = [];
    const warnings: IngestWarning[] = [];
    const controller = new AbortController();
    let batches = 0;
    const running = runLiveConnector({
      sink: { onEvent: (e) => events.push(e), onWarning: (w) => warnings.push(w) },
      signal: controller.signal,
      afterBatch: () => batches++,
    });
    try {
      await waitFor(() => (batches > 0 ? true : undefined), 'the /proc seed');
      // The seed observed this very process with its real parent.
      expect(events.find((e) => e.kind === 'observed' && e.pid === process.pid)).toMatchObject({ ppid: process.ppid });

      // 1. fork + exec + exit 3
      const shell = spawn('/bin/sh', ['-c', 'sleep 0.3; exit 3']);
      const [shellCode] = await once(shell, 'exit');
      expect(shellCode).toBe(3);

      // 2. killed by a signal
      const victim = spawn('/bin/sleep', ['5']);
      await sleep(100);
      victim.kill('SIGKILL');
      await once(victim, 'exit');

      // 3. a non-leader thread (a worker) starts a child
      const worker = new Worker(
        `const { spawnSync } = require('node:child_process');
         const { parentPort } = require('node:worker_threads');
         parentPort.postMessage(spawnSync('/bin/sleep', ['0.1']).pid);`,
        { eval: true },
      );
      const [threadChildPid] = (await once(worker, 'message')) as [number];

      // 4. an orphan: the subshell exits while its background child keeps running
      const daemonPidText = spawnSync('/bin/sh', ['-c', '(setsid /bin/sleep 1 </dev/null >/dev/null 2>&1 & echo $!)'], { encoding: 'utf8' }).stdout;
      const daemonPid = Number(daemonPidText.trim());
      await sleep(100);
      const daemonPpidNow = ppidOf(daemonPid);

      const exitOf = (pid: number) => events.find((e): e is ExitEvent => e.kind === 'exit' && e.pid === pid);
      const shellExit = await waitFor(() => exitOf(shell.pid!), 'the shell exit');
      const victimExit = await waitFor(() => exitOf(victim.pid!), 'the victim exit');
      const reparent = await waitFor(
        () => events.find((e) => e.kind === 'observed' && e.pid === daemonPid && e.evidence?.file === 'netlink'),
        'the inferred reparent',
      );

      const shellFork = events.find((e): e is ForkEvent => e.kind === 'fork' && e.childPid === shell.pid);
      expect(shellFork).toMatchObject({ parentPid: process.pid });
      const shellExec = events.find((e): e is ExecEvent => e.kind === 'exec' && e.pid === shell.pid);
      expect(shellExec?.image.argv).toEqual(['/bin/sh', '-c', 'sleep 0.3; exit 3']);
      expect(shellExit).toMatchObject({ exitCode: 3, ppid: process.pid, certainty: 'observed' });
      expect(victimExit).toMatchObject({ exitSignal: 9 });
      expect(victimExit.exitCode).toBeUndefined();

      const threadFork = events.find((e): e is ForkEvent => e.kind === 'fork' && e.childPid === threadChildPid);
      expect(threadFork?.parentPid).toBe(process.pid);
      expect(threadFork?.parentTid).toBeGreaterThan(0);
      expect(threadFork?.parentTid).not.toBe(process.pid);
      // Our own threads are not processes.
      expect(events.some((e) => e.kind === 'fork' && e.parentPid === process.pid && e.childPid === threadFork?.parentTid)).toBe(false);

      expect(daemonPpidNow).toBeDefined();
      expect(reparent).toMatchObject({ kind: 'observed', ppid: daemonPpidNow });
    } finally {
      controller.abort();
    }
    const summary = await running;
    expect(summary.enobufs).toBe(0);
    expect(summary.stats.lostMessages).toBe(0);
    expect(warnings.filter((w) => w.reason !== 'exec-image-missed')).toEqual([]);
  });

  it('reports an overflowing receive queue as loss with exact counts and re-seeds from /proc', async () => {
    const events: ProcEvent[] = [];
    const controller = new AbortController();
    let block = false;
    const running = runLiveConnector({
      sink: { onEvent: (e) => events.push(e), onWarning: () => {} },
      signal: controller.signal,
      rcvbufBytes: 4096, // a few messages: easy to overflow for real
      afterBatch: () => {
        if (!block) return;
        block = false;
        // Hold the JS thread: no read is queued, so the kernel queue overflows (ENOBUFS).
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1500);
      },
    });
    try {
      await sleep(300);
      const burst = spawn('/bin/sh', ['-c', 'sleep 0.2; for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do /bin/true; done']);
      const burstExit = once(burst, 'exit');
      block = true;
      await burstExit;
      await sleep(500);
      // A gap in a CPU's sequence numbers only shows when that CPU sends again: a second
      // burst after the overflow gives both CPUs later messages, so the loss can be counted.
      const after = spawn('/bin/sh', ['-c', 'for i in 1 2 3 4 5 6 7 8 9 10 11 12; do /bin/true; done']);
      await once(after, 'exit');
      await sleep(300);
    } finally {
      controller.abort();
    }
    const summary = await running;
    expect(summary.enobufs).toBeGreaterThan(0);
    expect(summary.stats.lostMessages).toBeGreaterThan(0);
    const losses = events.filter((e) => e.kind === 'loss');
    expect(losses.some((e) => e.kind === 'loss' && /ENOBUFS/.test(e.reason))).toBe(true);
    const counted = losses.reduce((n, e) => n + (e.kind === 'loss' ? e.count ?? 0 : 0), 0);
    expect(counted).toBe(summary.stats.lostMessages);
    // Re-seeded after the overflow: this process observed again, with its /proc start time.
    const overflow = losses.find((e) => e.kind === 'loss' && /ENOBUFS/.test(e.reason))!;
    const reseen = events.find((e) => e.kind === 'observed' && e.pid === process.pid && e.evidence?.id === 'proc-reseed');
    expect(reseen?.timestampNs).toBeGreaterThanOrEqual(overflow.timestampNs);
    expect(reseen).toMatchObject({ ppid: process.ppid, startTimeNs: expect.any(BigInt) });
  });
});
