import { copyFileSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
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
