import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatTimeNs } from '../../src/time/format-time.js';
import { parseTimeNs } from '../../src/time/parse-time.js';
import { scanAuditLogs } from '../support/audit-records.js';
import { auditdCapturesDir, loadCapture } from '../support/truth.js';
import { cliInProcess as cli } from './cli-in-process.js';

/**
 * init (pid 1) first recorded after the time asked: on the real signals-audited capture, pid
 * 2086 (`sleep 1.2`) is orphaned when its parent is killed, and init first appears in the log
 * as its parent at its exit. Asked in between (the review's `ancestry 2086 --at ...`), the
 * answer showed init's start as `~` plus that later time. init runs from boot: no start shown
 * may be later than the question.
 */
const capture = loadCapture(join(auditdCapturesDir, 'signals-audited'));
const PID = 2086;
let dir: string;
let db: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'proc-tree-init-from-boot-'));
  db = join(dir, 'h.db');
  expect((await cli('ingest', '--db', db, capture.logDir)).code).toBe(0);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const secs = (ns: bigint): string => `${ns / 1_000_000_000n}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}`;

/** A time after PID's parent last showed up and before PID's first record as init's child: from the raw log. */
function orphanedTime(): { atNs: bigint; initFirstNs: bigint } {
  const records = scanAuditLogs(capture.logFiles).records;
  const mine = records.filter((r) => r.fields.get('pid') === String(PID));
  const parent = mine[0]!.fields.get('ppid')!;
  const reparented = mine.find((r) => r.fields.get('ppid') === '1')!;
  const parentLast = records.filter((r) => r.timeNs < reparented.timeNs && (r.fields.get('pid') === parent || r.fields.get('opid') === parent)).at(-1)!;
  const initFirstNs = records.find((r) => r.fields.get('pid') === '1' || r.fields.get('ppid') === '1')!.timeNs;
  return { atNs: (parentLast.timeNs + reparented.timeNs) / 2n, initFirstNs };
}

describe('init first recorded after the question: from boot, never a later start', () => {
  it('ancestry text and the report show init as "from boot"; no START after the time asked', async () => {
    const { atNs, initFirstNs } = orphanedTime();
    expect(initFirstNs > atNs).toBe(true); // the case: no record of init before the question

    const r = await cli('ancestry', String(PID), '--at', secs(atNs), '--db', db);
    expect(r.code).toBe(0);
    const rows = r.out.split('\n').filter((l) => /^\d+\s/.test(l));
    expect(rows.map((l) => Number(l.split(/\s+/)[0]))).toEqual([PID, 1]);
    expect(rows[1]).toMatch(/^1\s+0\s+\S+\s+from boot\s/);
    for (const row of rows) {
      const start = row.split(/\s+/)[3]!; // PID PPID USER START CMD
      if (start !== 'from') expect(parseTimeNs(start.replace(/^~/, '')) <= atNs, `${row}: a start after the time asked`).toBe(true);
    }
    // The note still says where init is first recorded.
    expect(r.out).toMatch(/init: runs from boot; first recorded at \S+/);

    const page = join(dir, 'r.html');
    expect((await cli('report', String(PID), '--at', secs(atNs), '--db', db, '-o', page)).code).toBe(0);
    const html = await readFile(page, 'utf8');
    const initRow = /<tr class="link[^"]*"[^>]* data-pid="1"[^>]*>(.*?)<\/tr>/.exec(html)?.[1] ?? '';
    const cells = [...initRow.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((m) => m[1]!);
    expect(cells[4]).toBe('from boot');
  });

  // The review: --json kept init's first record (later than the question) as its start
  // while the text said "from boot". JSON now says it as the text does.
  it('ancestry, tree and descendants --json: init has no start (fromBoot, firstRecorded as the text says), no start after the time asked', async () => {
    const { atNs, initFirstNs } = orphanedTime();
    const text = await cli('ancestry', String(PID), '--at', secs(atNs), '--db', db);
    const firstRecorded = /init: runs from boot; first recorded at (\S+)/.exec(text.out)![1]!;
    expect(parseTimeNs(firstRecorded)).toBe(initFirstNs);
    const chain = JSON.parse((await cli('ancestry', String(PID), '--at', secs(atNs), '--db', db, '--json')).out).chain as Record<string, unknown>[];
    expect(chain.map((l) => l.pid)).toEqual([PID, 1]);
    expect(chain[1]).toMatchObject({ start: null, startNs: null, startKnown: false, fromBoot: true, firstRecorded, firstRecordedNs: initFirstNs.toString() });
    for (const l of chain) if (l.startNs !== null) expect(BigInt(l.startNs as string) <= atNs).toBe(true);
    expect(chain[0]!.fromBoot).toBeUndefined();

    const tree = JSON.parse((await cli('tree', '1', '--at', secs(atNs), '--db', db, '--json')).out);
    const desc = await cli('descendants', '1', '--at', secs(atNs), '--db', db);
    const shown = /\(1\).*\[from boot, first recorded (\S+)\]/.exec(desc.out.split('\n')[0]!)![1]!;
    const descJson = JSON.parse((await cli('descendants', '1', '--at', secs(atNs), '--db', db, '--json')).out);
    for (const init of [tree.roots[0], descJson.root]) {
      expect(init).toMatchObject({ pid: 1, start: null, startNs: null, startKnown: false, fromBoot: true, firstRecorded: shown });
      expect(init.children.map((c: { pid: number }) => c.pid)).toContain(PID);
      expect(init.children.find((c: { pid: number }) => c.pid === PID).fromBoot).toBeUndefined();
    }
  });
});

/**
 * init first recorded before the question (the review: 'from boot' in the README demo, but
 * `~T ?` on a log where init's first record came earlier): the same 'from boot' in text and
 * JSON. On the real daemon-double-fork capture, pid 4516 is reparented to init, which is
 * first recorded then; asked between that record and 4516's exit.
 */
describe('init first recorded before the question: from boot as well', () => {
  const daemon = loadCapture(join(auditdCapturesDir, 'daemon-double-fork'));
  const DAEMON_PID = 4516;
  it('ancestry text, --json and the report say from boot, with the first record in the note', async () => {
    const records = scanAuditLogs(daemon.logFiles).records;
    const initFirstNs = records.find((r) => r.fields.get('pid') === '1' || r.fields.get('ppid') === '1')!.timeNs;
    const exitNs = records.filter((r) => r.fields.get('pid') === String(DAEMON_PID)).at(-1)!.timeNs;
    expect(initFirstNs < exitNs).toBe(true);
    const at = secs((initFirstNs + exitNs) / 2n);
    const ddb = join(dir, 'daemon.db');
    expect((await cli('ingest', '--db', ddb, daemon.logDir)).code).toBe(0);

    const r = await cli('ancestry', String(DAEMON_PID), '--at', at, '--db', ddb);
    expect(r.code).toBe(0);
    const rows = r.out.split('\n').filter((l) => /^\d+\s/.test(l));
    expect(rows.map((l) => Number(l.split(/\s+/)[0]))).toEqual([DAEMON_PID, 1]);
    expect(rows[1]).toMatch(/^1\s+0\s+\S+\s+from boot\s/);
    expect(r.out).toContain(`init: runs from boot; first recorded at ${formatTimeNs(initFirstNs)}`);

    const chain = JSON.parse((await cli('ancestry', String(DAEMON_PID), '--at', at, '--db', ddb, '--json')).out).chain as Record<string, unknown>[];
    expect(chain[1]).toMatchObject({ pid: 1, start: null, startNs: null, fromBoot: true, firstRecordedNs: initFirstNs.toString() });
    const tree = JSON.parse((await cli('tree', '1', '--at', at, '--db', ddb, '--json')).out);
    expect(tree.roots[0]).toMatchObject({ pid: 1, fromBoot: true, firstRecordedNs: initFirstNs.toString() });

    const page = join(dir, 'daemon.html');
    expect((await cli('report', String(DAEMON_PID), '--at', at, '--db', ddb, '-o', page)).code).toBe(0);
    const initRow = /<tr class="link[^"]*"[^>]* data-pid="1"[^>]*>(.*?)<\/tr>/.exec(await readFile(page, 'utf8'))?.[1] ?? '';
    expect([...initRow.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((m) => m[1]!)[4]).toBe('from boot');
  });
});
