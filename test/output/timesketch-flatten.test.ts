/**
 * `export --format timesketch` is the ECS record flattened as its docs say (nested keys
 * joined by `_`, a leading `@` dropped, arrays kept) after Timesketch's own five fields, on
 * every real capture. The flattening is written out here, plainly, as the oracle: the
 * exporter's own flatten remembers names and writes in place for speed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runIngest } from '../../src/ingest/run-ingest.js';
import { cliInProcess } from '../cli/cli-in-process.js';
import { listAuditdCaptures } from '../support/truth.js';

type Doc = Record<string, unknown>;

const dir = mkdtempSync(join(tmpdir(), 'proc-tree-timesketch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function plainFlatten(value: Doc, prefix: string, out: Doc): Doc {
  for (const [key, v] of Object.entries(value)) {
    const name = (prefix === '' ? key : `${prefix}_${key}`).replace(/^@/, '');
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) plainFlatten(v as Doc, name, out);
    else out[name] = v;
  }
  return out;
}

describe('timesketch export = ECS flattened', () => {
  for (const capture of listAuditdCaptures()) {
    it(`${capture.meta.name}: every record`, async () => {
      const db = join(dir, `${capture.meta.name}.db`);
      await runIngest({ db, inputs: [capture.logDir] });
      const ecs = await cliInProcess('export', '--db', db, '--format', 'ecs');
      const ts = await cliInProcess('export', '--db', db, '--format', 'timesketch');
      expect(ts.code, ts.err).toBe(0);
      const ecsLines = ecs.out.trimEnd().split('\n');
      const tsLines = ts.out.trimEnd().split('\n');
      expect(tsLines.length).toBe(ecsLines.length);
      expect(tsLines.length).toBeGreaterThan(10);
      for (let i = 0; i < tsLines.length; i++) {
        const got = JSON.parse(tsLines[i]!) as Doc;
        const ecsDoc = JSON.parse(ecsLines[i]!) as Doc;
        // The time twice from ECS's @timestamp (ns digits): ISO to the microsecond with a zone, and µs since the epoch.
        const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{6})\d{3}Z$/.exec(ecsDoc['@timestamp'] as string)!;
        const want: Doc = {
          message: got.message,
          datetime: `${m[1]}.${m[2]}+00:00`,
          timestamp: Date.parse(`${m[1]}Z`) * 1000 + Number(m[2]),
          timestamp_desc: got.timestamp_desc,
          data_type: 'proc_tree:process',
        };
        const { timestamp: _ecsTime, ...rest } = plainFlatten(ecsDoc, '', {});
        if (tsLines[i] !== JSON.stringify({ ...want, ...rest })) expect(tsLines[i], `record ${i}`).toBe(JSON.stringify({ ...want, ...rest }));
      }
    });
  }
});
