/**
 * `proc-tree export` on the real captures: ECS and Timesketch timelines agree with /proc's
 * truth at every settled probe, every parent entity id names a process with records of its
 * own, ECS documents follow the published field table, and two runs give the same bytes.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIngest } from '../../src/ingest/run-ingest.js';
import { entityId } from '../../src/output/entity-id.js';
import { cliInProcess } from '../cli/cli-in-process.js';
import { processSyscalls, scanAuditLogs } from '../support/audit-records.js';
import { knowable, settledAmong } from '../support/probe-truth.js';
import { listAuditdCaptures, type Capture } from '../support/truth.js';
import { ecsViolations, loadEcsFields } from './ecs-field-table.js';

type Doc = Record<string, any>;

const dir = mkdtempSync(join(tmpdir(), 'proc-tree-export-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const captures = listAuditdCaptures();
const table = loadEcsFields();

/** Parses an ISO time with up to 9 decimals to epoch ns (independent of the code under test). */
function isoNs(text: string): bigint {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|\+00:00)$/.exec(text)!;
  return BigInt(Date.parse(`${m[1]}Z`)) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

describe.each(captures.map((c) => [c.meta.name, c] as const))('export of capture %s', (name, capture: Capture) => {
  const db = join(dir, `${name}.db`);
  let ecs = '';
  let docs: Doc[] = [];
  beforeAll(async () => {
    await runIngest({ db, inputs: [capture.logDir] });
    const run = await cliInProcess('export', '--db', db, '--format', 'ecs');
    expect(run.code, run.err).toBe(0);
    ecs = run.out;
    docs = ecs.trimEnd().split('\n').map((l) => JSON.parse(l) as Doc);
  }, 120_000);

  it('is byte-identical across runs (ECS, Timesketch, CSV), and -o FILE holds the same bytes as stdout', async () => {
    expect((await cliInProcess('export', '--db', db, '--format', 'ecs')).out).toBe(ecs);
    const file = join(dir, `${name}.jsonl`);
    const ts = await cliInProcess('export', '--db', db, '--format', 'timesketch');
    expect((await cliInProcess('export', '--db', db, '--format', 'timesketch', '-o', file)).code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(ts.out);
    const csv1 = await cliInProcess('export', '--db', db, '--format', 'csv');
    expect((await cliInProcess('export', '--db', db, '--format', 'csv')).out).toBe(csv1.out);
    expect(csv1.out.split('\r\n').length - 2).toBe(docs.length);
  });

  it('is ordered by time, every record ECS-valid field by field, with an entity id of host + pid + start', () => {
    expect(docs.length).toBeGreaterThan(10);
    const times = docs.map((d) => isoNs(d['@timestamp']));
    for (let i = 1; i < times.length; i++) expect(times[i]! >= times[i - 1]!, `record ${i}`).toBe(true);
    const bad = docs.flatMap((d, i) => ecsViolations(d, table, ['proc_tree', 'log.offset']).map((v) => `record ${i}: ${v}`));
    expect(bad).toEqual([]);
    for (const d of docs) {
      expect(d.event.kind).toBe('event');
      expect(d.event.category).toEqual(['process']);
      expect(d.process.entity_id).toBe(entityId(d.host?.name ?? '', d.process.pid, BigInt(d.proc_tree.start_ns)));
    }
  });

  it('names in every process.parent.entity_id an instance with records of its own', () => {
    const ids = new Set(docs.map((d) => d.process.entity_id));
    const parents = docs.map((d) => d.process.parent?.entity_id).filter((id) => id !== undefined);
    expect(parents.length).toBeGreaterThan(0);
    expect(parents.filter((id) => !ids.has(id))).toEqual([]);
  });

  it('gives at every settled truth probe the parent /proc showed (latest record of the process at or before it)', async () => {
    const syscalls = processSyscalls(scanAuditLogs(capture.logFiles).records);
    const byPid = new Map<number, { t: bigint; d: Doc }[]>();
    for (const d of docs) (byPid.get(d.process.pid) ?? byPid.set(d.process.pid, []).get(d.process.pid)!).push({ t: isoNs(d['@timestamp']), d });
    const ts = (await cliInProcess('export', '--db', db, '--format', 'timesketch')).out.trimEnd().split('\n').map((l) => JSON.parse(l) as Doc);
    expect(ts.length).toBe(docs.length);
    let checked = 0;
    const wrong: string[] = [];
    for (const probe of capture.truth.probes) {
      const want = knowable(probe, capture);
      if (want.length < 2 || !settledAmong(syscalls, probe, want)) continue;
      const latest = (byPid.get(probe.pid) ?? []).filter((r) => r.t <= probe.atNs).pop();
      if (latest === undefined || latest.d.event.type[0] === 'end') {
        wrong.push(`pid ${probe.pid} at ${probe.atNs}: no live record`);
        continue;
      }
      checked++;
      const parent = latest.d.process.parent?.pid;
      // A parent killed by SIGKILL leaves no record: the export may not know the reaper, but must not claim certainty.
      // A parent killed by SIGKILL has no exit record: no record dates the child's reparenting.
      const parentExited = docs.some((d) => d.process.entity_id === latest.d.process.parent?.entity_id && d.event.action === 'exit');
      if (parent !== want[0]!.ppid && parentExited && !(latest.d.proc_tree.uncertainty as string[]).length) {
        wrong.push(`pid ${probe.pid} at ${probe.atNs}: parent ${parent}, /proc ${want[0]!.ppid} (${latest.d.event.action})`);
      }
      const tsRecord = ts[docs.indexOf(latest.d)]!;
      expect(tsRecord.process_parent_pid).toBe(parent);
      expect(tsRecord.process_entity_id).toBe(latest.d.process.entity_id);
      expect(isoNs(tsRecord.datetime) / 1000n).toBe(latest.t / 1000n);
    }
    expect(wrong).toEqual([]);
    expect(checked).toBeGreaterThan(capture.truth.probes.length / 10);
  });
});

describe('export, wrong invocations', () => {
  it('needs --format, names the formats, and refuses an unknown host with the list', async () => {
    const db = join(dir, `${captures[0]!.meta.name}.db`);
    await runIngest({ db, inputs: [captures[0]!.logDir] });
    expect((await cliInProcess('export', '--db', db)).code).toBe(2);
    const bad = await cliInProcess('export', '--db', db, '--format', 'xml');
    expect([bad.code, bad.err]).toEqual([2, expect.stringContaining('ecs, timesketch or csv')]);
    const host = await cliInProcess('export', '--db', db, '--format', 'ecs', '--host', 'nope');
    expect([host.code, host.err]).toEqual([1, expect.stringContaining("host 'nope' is not in the history")]);
    const missing = await cliInProcess('export', '--db', join(dir, 'none.db'), '--format', 'ecs');
    expect([missing.code, missing.err.split('\n').length]).toEqual([1, 2]);
  });

  it('keeps only records within --from/--to', async () => {
    const db = join(dir, `${captures[0]!.meta.name}.db`);
    const all = (await cliInProcess('export', '--db', db, '--format', 'ecs')).out.trimEnd().split('\n').map((l) => JSON.parse(l) as Doc);
    const mid = all[Math.floor(all.length / 2)]!['@timestamp'] as string;
    const part = (await cliInProcess('export', '--db', db, '--format', 'ecs', '--from', mid)).out.trimEnd().split('\n').map((l) => JSON.parse(l) as Doc);
    expect(part).toEqual(all.filter((d) => isoNs(d['@timestamp']) >= isoNs(mid)));
  });
});
