import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { IngestWarning } from '../../../src/events/event-sink.js';
import type { ProcEvent } from '../../../src/events/proc-event.js';
import { readProcConnectorCapture } from '../../../adapters/proc-connector/read-capture.js';

const SAMPLES = resolve(import.meta.dirname, '../../../samples/proc-connector');
const NAME = 'exec-chain.cap';
const source = join(SAMPLES, NAME);
const dir = mkdtempSync(join(tmpdir(), 'pc-sidecars-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
/** The real capture with its meta file, and the snapshot / live sidecars as given (text, or the original). */
function captureWith(sidecars: { snapshot?: string; live?: string }): string {
  const d = mkdtempSync(join(dir, `c${++n}-`));
  const path = join(d, NAME);
  copyFileSync(source, path);
  copyFileSync(`${source}.meta.json`, `${path}.meta.json`);
  if (sidecars.snapshot !== undefined) writeFileSync(`${path}.snapshot.json`, sidecars.snapshot);
  else copyFileSync(`${source}.snapshot.json`, `${path}.snapshot.json`);
  if (sidecars.live !== undefined) writeFileSync(`${path}.live.ndjson`, sidecars.live);
  else copyFileSync(`${source}.live.ndjson`, `${path}.live.ndjson`);
  return path;
}

async function replay(path: string) {
  const events: ProcEvent[] = [];
  const warnings: IngestWarning[] = [];
  await readProcConnectorCapture(path, { onEvent: (e) => events.push(e), onWarning: (w) => warnings.push(w) });
  return { events, warnings };
}

const snapshot = () => JSON.parse(readFileSync(`${source}.snapshot.json`, 'utf8')) as { takenAtNs: string; processes: Record<string, unknown>[] };
const liveLines = () => readFileSync(`${source}.live.ndjson`, 'utf8').split('\n').filter(Boolean);
const streamEvents = (events: ProcEvent[]) => events.filter((e) => e.kind !== 'observed').length;

describe('replay of a real capture whose JSON sidecars are damaged', () => {
  it('a snapshot that is JSON but not a snapshot ({"pid":1}) is one bad-snapshot warning, not a TypeError; the datagrams are replayed', async () => {
    // Found by npm run fuzz: BigInt(undefined) in the translator's seed, exit 70.
    const good = await replay(captureWith({}));
    const { events, warnings } = await replay(captureWith({ snapshot: '{"pid":1}' }));
    expect(warnings.filter((w) => w.reason === 'bad-snapshot')).toHaveLength(1);
    expect(events.filter((e) => e.evidence?.id === 'proc-snapshot')).toHaveLength(0);
    expect(streamEvents(events)).toBe(streamEvents(good.events));
  });

  it('a snapshot cut short is one bad-snapshot warning (it was ignored silently before)', async () => {
    const text = readFileSync(`${source}.snapshot.json`, 'utf8');
    const { warnings } = await replay(captureWith({ snapshot: text.slice(0, text.length >> 1) }));
    const bad = warnings.filter((w) => w.reason === 'bad-snapshot');
    expect(bad).toHaveLength(1);
    expect(bad[0]!.position?.file).toMatch(/snapshot\.json$/);
  });

  it('drops only the snapshot entries of the wrong type, one warning each', async () => {
    const s = snapshot();
    s.processes[3]!.startTimeNs = 5;
    s.processes[4]!.pid = 'x';
    const { events, warnings } = await replay(captureWith({ snapshot: JSON.stringify(s) }));
    expect(warnings.filter((w) => w.reason === 'bad-snapshot')).toHaveLength(2);
    expect(events.filter((e) => e.evidence?.id === 'proc-snapshot')).toHaveLength(s.processes.length - 2);
  });

  it('a live record of the wrong shape is a bad-live-record warning at its line; the others are used', async () => {
    const lines = liveLines();
    const broken = JSON.parse(lines[1]!) as Record<string, unknown>;
    broken.offset = 'x';
    lines[1] = JSON.stringify(broken);
    lines.splice(3, 0, '{"type":"loss","offset":12}', '42', '{"type":"reseed","offset":0,"snapshot":{"pid":1}}');
    const { warnings } = await replay(captureWith({ live: lines.join('\n') + '\n' }));
    expect(warnings.filter((w) => w.reason === 'bad-live-record').map((w) => w.position?.line)).toEqual([2, 4, 5, 6]);
  });
});
