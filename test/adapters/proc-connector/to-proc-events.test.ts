import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { IngestWarning } from '../../../src/events/event-sink.js';
import type { ProcEvent } from '../../../src/events/proc-event.js';
import { decodeDatagrams } from '../../../adapters/proc-connector/decode-datagram.js';
import type { ReaperSource } from '../../../adapters/proc-connector/to-proc-events.js';
import { ConnectorTranslator } from '../../../adapters/proc-connector/to-proc-events.js';
import type { Truth } from './truth-check.js';

const SAMPLES = resolve(import.meta.dirname, '../../../samples/proc-connector');

/** Translates a real capture's datagrams alone (no snapshot, no live records). */
function translate(name: string, reapers: ReaperSource = { newParent: () => ({ ppid: 1, how: 'init-default' }) }) {
  const raw = readFileSync(join(SAMPLES, `${name}.cap`));
  const decoded = decodeDatagrams(raw).events;
  const events: ProcEvent[] = [];
  const warnings: IngestWarning[] = [];
  const translator = new ConnectorTranslator(
    { onEvent: (e) => events.push(e), onWarning: (w) => warnings.push(w) },
    { file: `${name}.cap`, monotonicToRealtimeNs: 0n, images: { imageAtExec: () => ({ image: {}, missed: 'test' }) }, reapers },
  );
  translator.pushBatch(decoded);
  return { decoded, events, warnings, stats: translator.stats };
}

const truth = (name: string) => JSON.parse(readFileSync(join(SAMPLES, `${name}.truth.json`), 'utf8')) as Truth;

describe('ConnectorTranslator on real captures', () => {
  it('turns thread creation into nothing and process creation into one ForkEvent each', () => {
    const { decoded, events, stats } = translate('threads-spawn');
    const rawForks = decoded.filter((e) => e.what === 'fork');
    const processForks = rawForks.filter((e) => e.what === 'fork' && e.childPid === e.childTgid);
    expect(stats.threadsCreated).toBe(rawForks.length - processForks.length);
    expect(events.filter((e) => e.kind === 'fork').length).toBe(processForks.length);
  });

  it('names the process as parent and the thread as parentTid when a worker thread forks', () => {
    const { events } = translate('threads-spawn');
    // truth: the sleep started from the node worker thread, and node's pid
    const probe = truth('threads-spawn').probes.find((p) => p.chain[0]!.comm === 'sleep' && p.chain[1]!.comm === 'node')!;
    const fork = events.find((e) => e.kind === 'fork' && e.childPid === probe.pid);
    expect(fork).toMatchObject({ kind: 'fork', parentPid: probe.chain[1]!.pid });
    const parentTid = (fork as { parentTid?: number }).parentTid;
    expect(parentTid).toBeDefined();
    expect(parentTid).not.toBe(probe.chain[1]!.pid);
  });

  it('emits ExitEvents for group leaders only, with the parent at exit and the exit status', () => {
    const { decoded, events, stats } = translate('threads-spawn');
    const leaderExits = decoded.filter((e) => e.what === 'exit' && e.pid === e.tgid).length;
    const threadExits = decoded.filter((e) => e.what === 'exit' && e.pid !== e.tgid).length;
    expect(stats.threadExits).toBe(threadExits);
    const exits = events.filter((e) => e.kind === 'exit');
    expect(exits.length).toBe(leaderExits);
    for (const exit of exits) {
      expect(exit.ppid).toBeGreaterThan(0);
      expect(exit.exitCode !== undefined || exit.exitSignal !== undefined).toBe(true);
    }
  });

  it('reparents the orphans of an exiting process, and the orphan\'s own EXIT confirms it', () => {
    const { events, stats } = translate('double-fork-daemon');
    // truth: a daemon whose chain went from an intermediate parent to pid 1
    const reparentedPids = new Set(
      truth('double-fork-daemon').probes.filter((p) => p.chain[0]!.ppid === 1 && p.chain[0]!.pid > 1).map((p) => p.pid),
    );
    expect(reparentedPids.size).toBeGreaterThan(0);
    for (const pid of reparentedPids) {
      const observed = events.find((e) => e.kind === 'observed' && e.pid === pid);
      expect(observed).toMatchObject({ kind: 'observed', ppid: 1 });
    }
    expect(stats.reparentsInferred).toBeGreaterThanOrEqual(reparentedPids.size);
    expect(stats.reparentsConfirmed).toBeGreaterThan(0);
    expect(stats.parentsCorrected).toBe(0);
  });

  it('corrects a wrong reaper guess from the orphan\'s own EXIT event', () => {
    const wrongGuess: ReaperSource = { newParent: () => ({ ppid: 999_999, how: 'test' }) };
    const { events, stats } = translate('double-fork-daemon', wrongGuess);
    expect(stats.parentsCorrected).toBeGreaterThan(0);
    const corrected = events.filter((e) => e.kind === 'observed' && e.ppid !== 999_999);
    expect(corrected.length).toBe(stats.parentsCorrected);
  });

  it('stamps every event with connector evidence cpu/seq and its byte offset', () => {
    const { decoded, events } = translate('exec-chain');
    const byOffset = new Map(decoded.map((d) => [d.offset, d]));
    for (const event of events) {
      const raw = byOffset.get(event.evidence!.offset)!;
      expect(event.evidence!.id).toBe(`${raw.cpu}/${raw.seq}`);
      // A leader's EXIT may come before its threads' (exit_group): the process ends with
      // its last thread, so an ExitEvent can be stamped later than its evidence.
      if (event.kind === 'exit') expect(event.timestampNs).toBeGreaterThanOrEqual(raw.monotonicNs);
      else expect(event.timestampNs).toBe(raw.monotonicNs);
    }
  });

  it('reports every missed exec image as a counted warning', () => {
    const { events, warnings, stats } = translate('exec-chain');
    const execs = events.filter((e) => e.kind === 'exec').length;
    expect(execs).toBeGreaterThan(0);
    expect(stats.execImagesMissed).toBe(execs);
    expect(warnings.filter((w) => w.reason === 'exec-image-missed').length).toBe(execs);
  });

  it('counts lost messages exactly when datagrams are missing from the stream', () => {
    const raw = readFileSync(join(SAMPLES, 'shell-pipeline.cap'));
    const decoded = decodeDatagrams(raw).events;
    const cpu = decoded[20]!.cpu;
    const dropped = new Set(decoded.filter((e, i) => i >= 20 && i < 60 && e.cpu === cpu && e.what !== 'ack').slice(0, 3));
    const events: ProcEvent[] = [];
    const translator = new ConnectorTranslator(
      { onEvent: (e) => events.push(e), onWarning: () => {} },
      { file: 'x', monotonicToRealtimeNs: 0n, images: { imageAtExec: () => ({ image: {} }) }, reapers: { newParent: () => ({ ppid: 1, how: 'x' }) } },
    );
    translator.pushBatch(decoded.filter((e) => !dropped.has(e)));
    expect(dropped.size).toBe(3);
    expect(translator.stats.lostMessages).toBe(3);
    const losses = events.filter((e) => e.kind === 'loss');
    expect(losses.reduce((n, e) => n + (e.kind === 'loss' ? e.count ?? 0 : 0), 0)).toBe(3);
  });
});
