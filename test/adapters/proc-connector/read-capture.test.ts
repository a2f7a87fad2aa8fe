import { copyFileSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { IngestWarning } from '../../../src/events/event-sink.js';
import type { ProcEvent } from '../../../src/events/proc-event.js';
import { readProcConnectorCapture } from '../../../adapters/proc-connector/read-capture.js';
import { ParentTimeline, checkTruth, readTruth } from './truth-check.js';

const SAMPLES = resolve(import.meta.dirname, '../../../samples/proc-connector');
const scenarios = readdirSync(SAMPLES)
  .filter((f) => f.endsWith('.truth.json'))
  .map((f) => f.slice(0, -'.truth.json'.length));

async function replay(path: string, options = {}) {
  const events: ProcEvent[] = [];
  const warnings: IngestWarning[] = [];
  const summary = await readProcConnectorCapture(path, { onEvent: (e) => events.push(e), onWarning: (w) => warnings.push(w) }, options);
  return { events, warnings, summary };
}

describe('readProcConnectorCapture on real captures', () => {
  it('has samples to check', () => {
    expect(scenarios.length).toBeGreaterThanOrEqual(5);
  });

  for (const name of scenarios) {
    it(`${name}: every parent link /proc showed during the capture matches the replayed events`, async () => {
      const { events, summary } = await replay(join(SAMPLES, `${name}.cap`));
      const timeline = new ParentTimeline();
      for (const event of events) timeline.add(event);
      const truth = readTruth(join(SAMPLES, `${name}.truth.json`));
      const { links, mismatches } = checkTruth(truth, timeline);
      expect(truth.probes.length).toBeGreaterThan(0);
      expect(links).toBeGreaterThan(0);
      expect(mismatches).toEqual([]);
      expect(summary.damagedAt).toBeUndefined();
      expect(summary.stats.lostMessages).toBe(0);
    });
  }
});

describe('readProcConnectorCapture on the hard cases', () => {
  it('pid-reuse: a pid held twice with different parents gets each holder\'s parent at its time', async () => {
    const truth = readTruth(join(SAMPLES, 'pid-reuse.truth.json'));
    const holders = new Map<number, Map<string, number>>(); // pid -> startTimeNs -> ppid
    for (const probe of truth.probes) {
      const self = probe.chain[0]!;
      if (!holders.has(self.pid)) holders.set(self.pid, new Map());
      holders.get(self.pid)!.set(self.startTimeNs, self.ppid);
    }
    const reused = [...holders].filter(([, byStart]) => new Set(byStart.values()).size > 1);
    expect(reused.length).toBeGreaterThan(0);
    const { events } = await replay(join(SAMPLES, 'pid-reuse.cap'));
    for (const [pid, byStart] of reused) {
      const forks = events.filter((e) => e.kind === 'fork' && e.childPid === pid);
      const parents = forks.map((e) => (e.kind === 'fork' ? e.parentPid : 0));
      for (const ppid of byStart.values()) expect(parents).toContain(ppid);
    }
  });

  it('double-fork-daemon: without the inferred reparent events the truth check fails', async () => {
    // Guards the truth check itself: the reparenting is what makes this sample pass.
    const { events } = await replay(join(SAMPLES, 'double-fork-daemon.cap'));
    const timeline = new ParentTimeline();
    for (const event of events) {
      if (event.kind === 'observed' && event.evidence?.id?.includes('/')) continue;
      timeline.add(event);
    }
    const { mismatches } = checkTruth(readTruth(join(SAMPLES, 'double-fork-daemon.truth.json')), timeline);
    expect(mismatches.length).toBeGreaterThan(0);
  });
});

describe('readProcConnectorCapture options and damage', () => {
  const name = 'double-fork-daemon';
  const source = join(SAMPLES, `${name}.cap`);
  const copyOnly = (suffixes: string[]) => {
    const dir = mkdtempSync(join(tmpdir(), 'pc-replay-'));
    for (const suffix of ['', ...suffixes]) copyFileSync(`${source}${suffix}`, join(dir, `${name}.cap${suffix}`));
    return join(dir, `${name}.cap`);
  };

  it('seeds pre-existing processes from the snapshot with their names and start times', async () => {
    const { events } = await replay(source);
    const snapshot = JSON.parse(readFileSync(`${source}.snapshot.json`, 'utf8')) as { processes: Array<{ pid: number; comm: string; startTimeNs: string }> };
    const init = snapshot.processes.find((p) => p.pid === 1)!;
    expect(events[0]).toMatchObject({ kind: 'observed', pid: 1, startTimeNs: BigInt(init.startTimeNs), image: { comm: init.comm } });
    expect(events.filter((e) => e.kind === 'observed' && e.evidence?.id === 'proc-snapshot').length).toBe(snapshot.processes.length);
  });

  it('gives exec events the image the capture read from /proc', async () => {
    const { events, warnings } = await replay(source);
    const execs = events.filter((e) => e.kind === 'exec');
    const named = execs.filter((e) => e.kind === 'exec' && e.image.exe !== undefined);
    expect(named.length).toBeGreaterThan(0);
    expect(named.length + warnings.filter((w) => w.reason === 'exec-image-missed').length).toBe(execs.length);
  });

  it('uses --boot-time instead of the meta offset, shifting every connector timestamp by the difference', async () => {
    const meta = JSON.parse(readFileSync(`${source}.meta.json`, 'utf8')) as { monotonic_to_realtime_ns: string };
    const base = await replay(source);
    const shifted = await replay(source, { bootTimeNs: BigInt(meta.monotonic_to_realtime_ns) + 1_000_000_000n });
    expect(shifted.summary.clockSource).toBe('boot-time');
    const fromStream = (events: ProcEvent[]) => events.filter((e) => e.evidence?.id?.includes('/'));
    const a = fromStream(base.events);
    const b = fromStream(shifted.events);
    expect(b.length).toBe(a.length);
    for (let i = 0; i < a.length; i++) expect(b[i]!.timestampNs - a[i]!.timestampNs).toBe(1_000_000_000n);
  });

  it('refuses a capture without meta file or --boot-time, saying what to pass', async () => {
    const path = copyOnly([]);
    await expect(replay(path)).rejects.toThrow(/--boot-time/);
  });

  it('replays the datagrams alone with --boot-time: orphans still get their reaper from their own EXIT', async () => {
    const meta = JSON.parse(readFileSync(`${source}.meta.json`, 'utf8')) as { monotonic_to_realtime_ns: string };
    const path = copyOnly([]);
    const { events, summary } = await replay(path, { bootTimeNs: BigInt(meta.monotonic_to_realtime_ns) });
    expect(summary.stats.reparentsConfirmed).toBeGreaterThan(0);
    const truth = readTruth(join(SAMPLES, `${name}.truth.json`));
    const daemons = truth.probes.filter((p) => p.chain[0]!.ppid === 1 && p.pid > 1);
    for (const probe of daemons) {
      expect(events.find((e) => e.kind === 'observed' && e.pid === probe.pid)).toMatchObject({ ppid: 1 });
    }
  });

  it('ingests a capture cut mid-message up to the damage and reports where', async () => {
    const full = await replay(source);
    const path = copyOnly(['.meta.json']);
    const raw = readFileSync(source);
    const cutAt = 76 * 200 + 33;
    writeFileSync(path, raw.subarray(0, cutAt));
    const { events, warnings, summary } = await replay(path, { chunkBytes: 4096 });
    expect(summary.damagedAt).toBe(76 * 200);
    expect(warnings.filter((w) => w.reason === 'truncated-message').map((w) => w.position?.offset)).toEqual([76 * 200]);
    const before = full.events.filter((e) => e.evidence && e.evidence.offset < 76 * 200 && e.evidence.id?.includes('/'));
    const got = events.filter((e) => e.evidence?.id?.includes('/'));
    // Everything before the cut is delivered (reparent inference may differ without the future).
    expect(got.filter((e) => e.kind !== 'observed').length).toBe(before.filter((e) => e.kind !== 'observed').length);
  });

  it('decodes the same events whatever the read size', async () => {
    const big = await replay(source);
    const small = await replay(source, { chunkBytes: 1000 });
    expect(small.events).toEqual(big.events);
  });
});
