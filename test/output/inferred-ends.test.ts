/**
 * Ends that were concluded, not recorded, are marked as such in every export format, on the
 * real signals-audited capture: each process a successful kill -9 targeted (its OBJ_PID
 * record, read here by the test's own log reader) has an end record at the kill's time that
 * says `inferred`, why (`sigkill`), the signal, and the OBJ_PID line as evidence; the ends
 * read from exit records say `observed`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIngest } from '../../src/ingest/run-ingest.js';
import { cliInProcess } from '../cli/cli-in-process.js';
import { scanAuditLogs, sigkillTargets } from '../support/audit-records.js';
import { listAuditdCaptures } from '../support/truth.js';

type Doc = Record<string, any>;

const capture = listAuditdCaptures().find((c) => c.meta.name === 'signals-audited');
const dir = mkdtempSync(join(tmpdir(), 'proc-tree-inferred-ends-'));
const db = join(dir, 'h.db');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The first kill -9 of each target pid (pid 1 survives it), from the raw log. */
function killed(): Map<number, { timeNs: bigint; serial: number; line: number }> {
  const out = new Map<number, { timeNs: bigint; serial: number; line: number }>();
  for (const k of sigkillTargets(scanAuditLogs(capture!.logFiles).records)) {
    if (k.pid === 1 || out.has(k.pid)) continue;
    out.set(k.pid, k);
  }
  return out;
}

const secs = (ns: bigint): string => `${ns / 1_000_000_000n}.${(ns % 1_000_000_000n).toString().padStart(9, '0').slice(0, 3)}`;
const lines = (text: string): Doc[] => text.trimEnd().split('\n').map((l) => JSON.parse(l) as Doc);

describe('inferred ends in export (real signals-audited capture)', () => {
  let ecs: Doc[] = [];
  beforeAll(async () => {
    if (capture === undefined) throw new Error('samples/auditd/signals-audited is missing');
    await runIngest({ db, inputs: [capture.logDir] });
    ecs = lines((await cliInProcess('export', '--db', db, '--format', 'ecs')).out);
  }, 60_000);

  it('ECS: every kill -9 target ends at the kill, proc_tree.end says inferred, sigkill, signal 9, the OBJ_PID line', () => {
    const want = killed();
    expect(want.size).toBeGreaterThanOrEqual(5);
    const ends = ecs.filter((d) => d.event.type[0] === 'end');
    for (const [pid, k] of want) {
      const end = ends.filter((d) => d.process.pid === pid);
      expect(end.length, `pid ${pid}`).toBe(1);
      const d = end[0]!;
      expect(d.event.action, `pid ${pid}`).toBe('gone');
      expect(d.event.id).toBe(`${secs(k.timeNs)}:${k.serial}`);
      expect(d.proc_tree.end).toEqual({ certainty: 'inferred', reason: 'sigkill', signal: 9 });
      expect(d.proc_tree.line).toBe(k.line);
      expect(d.proc_tree.uncertainty).toContain('end inferred (sigkill)');
    }
    // Every other end was read from an exit record, and says so.
    const others = ends.filter((d) => !want.has(d.process.pid));
    expect(others.length).toBeGreaterThan(0);
    for (const d of others) {
      expect(d.event.action).toBe('exit');
      expect(d.proc_tree.end.certainty).toBe('observed');
    }
  });

  it('Timesketch and CSV carry the same marks, flattened (proc_tree_end_certainty, _reason, _signal)', async () => {
    const want = killed();
    const ts = lines((await cliInProcess('export', '--db', db, '--format', 'timesketch')).out);
    const csv = (await cliInProcess('export', '--db', db, '--format', 'csv')).out.trimEnd().split('\r\n');
    const header = csv[0]!.split(',');
    const col = (name: string): number => {
      const i = header.indexOf(name);
      expect(i, name).toBeGreaterThanOrEqual(0);
      return i;
    };
    // The fixture's command lines hold no commas or quotes: a plain split reads it.
    const rows = csv.slice(1).map((r) => r.split(','));
    expect(rows.length).toBe(ts.length);
    expect(ts.length).toBe(ecs.length);
    const [action, pid, certainty, reason, signal] = ['event_action', 'process_pid', 'proc_tree_end_certainty', 'proc_tree_end_reason', 'proc_tree_end_signal'].map(col);
    ts.forEach((t, i) => {
      const d = ecs[i]!;
      const row = rows[i]!;
      expect([t.process_pid, Number(row[pid!])]).toEqual([d.process.pid, d.process.pid]);
      expect([t.event_action, row[action!]]).toEqual([d.event.action, d.event.action]);
      const end = d.proc_tree.end as Doc | undefined;
      expect(t.proc_tree_end_certainty).toBe(end?.certainty);
      expect(t.proc_tree_end_reason).toBe(end?.reason);
      expect(t.proc_tree_end_signal).toBe(end?.signal);
      expect([row[certainty!], row[reason!], row[signal!]]).toEqual([end?.certainty ?? '', end?.reason ?? '', end?.signal?.toString() ?? '']);
      if (d.event.action === 'gone') {
        expect(want.has(d.process.pid)).toBe(true);
        expect(t.message).toMatch(new RegExp(`^end inferred \\(sigkill\\) pid ${d.process.pid} `));
        expect(t.timestamp_desc).toBe('Process End Inferred');
      }
    });
    expect(ts.filter((t) => t.proc_tree_end_certainty === 'inferred').length).toBe(want.size);
  });
});
