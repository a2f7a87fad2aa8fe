import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ancestryAt } from '../../../src/history/ancestry-at.js';
import { WritableHistory } from '../../../src/history/history-database.js';
import { readProcConnectorCapture } from '../../../adapters/proc-connector/read-capture.js';
import { readTruth } from './truth-check.js';

const SAMPLES = resolve(import.meta.dirname, '../../../samples/proc-connector');
const scenarios = readdirSync(SAMPLES)
  .filter((f) => f.endsWith('.truth.json'))
  .map((f) => f.slice(0, -'.truth.json'.length));

describe('ancestry at past times from replayed captures, through the SQLite history', () => {
  for (const name of scenarios) {
    it(`${name}: ancestryAt at each probe time returns the chain /proc showed`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'pc-ancestry-'));
      const history = WritableHistory.open(join(dir, 'h.db'));
      try {
        const builder = history.builder();
        history.begin();
        await readProcConnectorCapture(join(SAMPLES, `${name}.cap`), { onEvent: (e) => builder.onEvent(e), onWarning: () => {} });
        history.commit();
        const store = history.store();
        const truth = readTruth(join(SAMPLES, `${name}.truth.json`));
        const wrong: string[] = [];
        for (const probe of truth.probes) {
          const result = await ancestryAt(store, { pid: probe.pid, atNs: BigInt(probe.atNs) });
          const got = result.chain.map((link) => link.pid);
          const expected = probe.chain.map((entry) => entry.pid);
          if (got.join(' ') !== expected.join(' ')) wrong.push(`${probe.pid}@${probe.atNs}: got ${got.join('<')} expected ${expected.join('<')}`);
        }
        expect(truth.probes.length).toBeGreaterThan(0);
        expect(wrong).toEqual([]);
      } finally {
        history.close();
      }
    });
  }
});
