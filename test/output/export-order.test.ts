import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runIngest } from '../../src/ingest/run-ingest.js';
import { cliInProcess } from '../cli/cli-in-process.js';
import { listAuditdCaptures } from '../support/truth.js';

/**
 * A timeline tool (Timesketch, Kibana) shows an export in its order: records of one
 * millisecond must come by audit serial, or a pid handed over within it reads backwards
 * (pid-reuse: the new 1297's fork before the old 1297's exit). One exception, by causality:
 * nothing of a process comes before its own start record, whose clone record is written when
 * clone returns in the parent, often after the child's first records (lower serials).
 */
const serialOf = (id: unknown): number | undefined => (typeof id === 'string' ? Number(/:(\d+)$/.exec(id)?.[1]) : undefined);

interface Row {
  timeUs: number;
  action: string;
  entity: string;
  eventId?: string;
  line: string;
}

function problemsOf(rows: Row[]): string[] {
  const problems: string[] = [];
  const startSerial = new Map<string, number | undefined>();
  const startUs = new Map<string, number>();
  let last: { timeUs: number; serial: number; line: string } | undefined;
  for (const r of rows) {
    if (r.action === 'fork' || r.action === 'seen') {
      startSerial.set(r.entity, serialOf(r.eventId));
      startUs.set(r.entity, r.timeUs);
    } else if (!startSerial.has(r.entity)) problems.push(`before its start record: ${r.line.slice(0, 200)}`);
    let serial = serialOf(r.eventId);
    if (serial === undefined) {
      last = undefined;
      continue;
    }
    const start = startSerial.get(r.entity);
    if (startUs.get(r.entity) === r.timeUs && start !== undefined && start > serial) serial = start;
    if (last !== undefined && last.timeUs === r.timeUs && serial < last.serial) problems.push(`serial ${serial} after ${last.serial}:\n  ${last.line.slice(0, 160)}\n  ${r.line.slice(0, 160)}`);
    if (last !== undefined && r.timeUs < last.timeUs) problems.push(`time goes back: ${r.line.slice(0, 160)}`);
    last = { timeUs: r.timeUs, serial, line: r.line };
  }
  return problems;
}

const dir = mkdtempSync(join(tmpdir(), 'proc-tree-export-order-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('export lists the records of one millisecond by audit serial', () => {
  let sameMs = 0;
  afterAll(() => expect(sameMs).toBeGreaterThan(50));

  for (const capture of listAuditdCaptures()) {
    it(`${capture.meta.name}: timesketch and ecs`, async () => {
      const db = join(dir, `${capture.meta.name}.db`);
      await runIngest({ db, inputs: [capture.logDir] });
      const ts = await cliInProcess('export', '--format', 'timesketch', '--db', db);
      const ecs = await cliInProcess('export', '--format', 'ecs', '--db', db);
      expect(ts.code).toBe(0);
      expect(ecs.code).toBe(0);
      const tsRows: Row[] = ts.out
        .split('\n')
        .filter((l) => l !== '')
        .map((line) => {
          const j = JSON.parse(line) as Record<string, unknown>;
          return { timeUs: j.timestamp as number, action: j.event_action as string, entity: j.process_entity_id as string, eventId: j.event_id as string | undefined, line };
        });
      const ecsRows: Row[] = ecs.out
        .split('\n')
        .filter((l) => l !== '')
        .map((line) => {
          const j = JSON.parse(line) as { '@timestamp': string; event: { action: string; id?: string }; process: { entity_id: string } };
          return { timeUs: Date.parse(j['@timestamp'].slice(0, 23) + 'Z') * 1000 + Number(j['@timestamp'].slice(23, 26)), action: j.event.action, entity: j.process.entity_id, eventId: j.event.id, line };
        });
      for (let i = 1; i < tsRows.length; i++) if (tsRows[i]!.timeUs === tsRows[i - 1]!.timeUs) sameMs++;
      expect(problemsOf(tsRows).slice(0, 5)).toEqual([]);
      expect(problemsOf(ecsRows).slice(0, 5)).toEqual([]);
    }, 120_000);
  }
});
