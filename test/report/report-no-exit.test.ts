/**
 * A process whose exit the log never shows is not "running" in the report: the log simply
 * stops. On the real net-files-login capture (pid 3634, from the responder review: the
 * capture's own shell, alive when recording stopped), the report's chain and tree say "no
 * exit recorded" with where the history ends, a time between the question's and the raw
 * log's last record.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTimeNs } from '../../src/time/parse-time.js';
import { cliInProcess as cli } from '../cli/cli-in-process.js';
import { scanAuditLogs } from '../support/audit-records.js';
import { auditdCapturesDir, loadCapture } from '../support/truth.js';

const capture = loadCapture(join(auditdCapturesDir, 'net-files-login'));
const PID = 3634;
let dir: string;
let db: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'proc-tree-report-no-exit-'));
  db = join(dir, 'h.db');
  expect((await cli('ingest', '--db', db, capture.logDir)).code).toBe(0);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const secs = (ns: bigint): string => `${ns / 1_000_000_000n}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}`;

describe('report: no exit recorded is not "running"', () => {
  it('says no exit recorded and where the history ends, in the chain and in the tree', async () => {
    const records = scanAuditLogs(capture.logFiles).records;
    const lastNs = records.reduce((m, r) => (r.timeNs > m ? r.timeNs : m), 0n);
    // Its first record names it as a parent (ppid=): asked then.
    const atNs = records.find((r) => r.fields.get('ppid') === String(PID) || r.fields.get('pid') === String(PID))!.timeNs;
    // Precondition, from the raw log: no exit (exit_group 231, exit 60) of this pid was recorded.
    const exits = records.filter((r) => r.fields.get('pid') === String(PID) && (r.fields.get('syscall') === '231' || r.fields.get('syscall') === '60'));
    expect(exits).toEqual([]);
    const chain = JSON.parse((await cli('ancestry', String(PID), '--at', secs(atNs), '--db', db, '--json')).out);
    expect(chain.chain[0].end).toBeNull();

    const page = join(dir, 'r.html');
    const r = await cli('report', String(PID), '--at', secs(atNs), '--db', db, '-o', page);
    expect(r.code).toBe(0);
    const html = await readFile(page, 'utf8');
    expect(html).not.toMatch(/running/);
    const self = /<tr class="link self[^>]*>.*?<td class="mono end">([^<]*)<\/td>/.exec(html)?.[1];
    const said = /^no exit recorded \(history ends at (\S+)\)$/.exec(self ?? '');
    expect(said, self).not.toBeNull();
    const endNs = parseTimeNs(said![1]!);
    expect(endNs >= atNs && endNs <= lastNs, `${endNs} in [${atNs}, ${lastNs}]`).toBe(true);
    // The tree's lifetime lines, read by the page script, say the same.
    const lives = [...html.matchAll(/"l":"([^"]*)"/g)].map((m) => m[1]!);
    expect(lives.length).toBeGreaterThan(0);
    for (const l of lives.filter((x) => !/\d{4}-\d\d-\d\dT\S+ \u2192 \d{4}-/.test(x))) expect(l).toMatch(/\u2192 no exit recorded \(history ends at \S+\)$/);
  });
});
