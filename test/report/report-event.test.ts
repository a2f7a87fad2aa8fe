/**
 * `proc-tree report --event` on the real net-files-login capture, opened in Chromium: for a
 * connect, an openat and the USER_LOGIN of the log (found by the test's own log reader), the
 * page shows the event (id, time, record types, file:line) and a chain, self first, equal
 * link by link (pid, entity id, executable, arguments, start) to what
 * `proc-tree explain EVENT --json` gives for the same event.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runIngest } from '../../src/ingest/run-ingest.js';
import { cliInProcess } from '../cli/cli-in-process.js';
import { PROCESS_SYSCALLS, scanAuditLogs, type AuditLine } from '../support/audit-records.js';
import { listAuditdCaptures } from '../support/truth.js';
import { useChromium } from './chromium-page.js';

const capture = listAuditdCaptures().find((c) => c.meta.name === 'net-files-login');
const chromium = useChromium();
const db = join(chromium.dir, 'h.db');

const SYSCALLS = { ...PROCESS_SYSCALLS.c000003e, 42: 'connect', 257: 'openat' } as Record<number, string>;
const idOf = (r: AuditLine): string => `${r.timeNs / 1_000_000_000n}.${((r.timeNs / 1_000_000n) % 1000n).toString().padStart(3, '0')}:${r.serial}`;

/** The first successful connect, the first successful openat and the first USER_LOGIN, with the line of their first record. */
function pickEvents(): { what: string; id: string; type: string; line: number }[] {
  const records = scanAuditLogs(capture!.logFiles).records;
  const firstLine = new Map<string, number>();
  for (const r of records) if (!firstLine.has(idOf(r))) firstLine.set(idOf(r), r.line);
  const out: { what: string; id: string; type: string; line: number }[] = [];
  for (const what of ['connect', 'openat']) {
    const r = records.find((x) => x.type === 'SYSCALL' && x.fields.get('arch') === 'c000003e' && SYSCALLS[Number(x.fields.get('syscall'))] === what && x.fields.get('success') === 'yes');
    if (r !== undefined) out.push({ what, id: idOf(r), type: 'SYSCALL', line: firstLine.get(idOf(r))! });
  }
  const login = records.find((x) => x.type === 'USER_LOGIN');
  if (login !== undefined) out.push({ what: 'login', id: idOf(login), type: 'USER_LOGIN', line: firstLine.get(idOf(login))! });
  return out;
}

describe('proc-tree report --event (real net-files-login capture, Chromium)', () => {
  beforeAll(async () => {
    if (capture === undefined) throw new Error('samples/auditd/net-files-login is missing');
    await runIngest({ db, inputs: [capture.logDir] });
  }, 60_000);

  it('shows the event and the chain explain --json gives, for a connect, an openat and a USER_LOGIN', async () => {
    const events = pickEvents();
    expect(events.map((e) => e.what)).toEqual(['connect', 'openat', 'login']);
    for (const ev of events) {
      const explained = await cliInProcess('explain', ev.id, capture!.logDir, '--db', db, '--json');
      expect(explained.code, explained.err).toBe(0);
      const want = JSON.parse(explained.out) as { proc_tree: { ancestry: { pid: number; entity_id?: string; executable?: string; args?: string[]; start?: string; start_known?: boolean }[] } };
      const chain = want.proc_tree.ancestry;
      expect(chain.length, ev.what).toBeGreaterThan(1);
      const file = join(chromium.dir, `${ev.what}.html`);
      const made = await cliInProcess('report', '--event', `audit(${ev.id})`, capture!.logDir, '--db', db, '-o', file);
      expect(made.code, made.err).toBe(0);
      const { page, errors, requests } = await chromium.open(file);

      expect(await page.$eval('#ev-id', (e) => e.textContent)).toBe(ev.id);
      expect((await page.$eval('#ev-types', (e) => e.textContent ?? '')).split(' ')).toContain(ev.type);
      expect(await page.$eval('#ev-where', (e) => e.textContent ?? '')).toContain(`audit.log:${ev.line} ${ev.id}`);
      expect(await page.$eval('#ev-time', (e) => e.textContent ?? '')).toBe(new Date(Number(ev.id.split(':')[0]!.replace('.', ''))).toISOString().replace('Z', '000000Z'));
      expect(await page.title()).toContain(`event ${ev.id}: pid ${chain[0]!.pid}`);

      const rows = await page.$$eval('#chain tbody tr', (trs) =>
        trs.map((tr) => {
          const td = [...tr.querySelectorAll('td')];
          return { pid: Number(td[0]?.textContent), entity: tr.getAttribute('data-entity-id') ?? undefined, start: td[4]?.textContent ?? '', exe: tr.querySelector('.exe')?.textContent ?? '', args: tr.querySelector('.args')?.textContent ?? '' };
        }),
      );
      expect(rows.length, ev.what).toBe(chain.length);
      chain.forEach((link, i) => {
        const row = rows[i]!;
        expect(row.pid, `${ev.what} link ${i}`).toBe(link.pid);
        expect(row.entity, `${ev.what} link ${i}`).toBe(link.entity_id);
        expect(row.exe, `${ev.what} link ${i}`).toBe(link.executable ?? '');
        if (link.args !== undefined) expect(row.args, `${ev.what} link ${i}`).toBe(link.args.join(' '));
        expect(row.start, `${ev.what} link ${i}`).toBe(link.start === undefined ? '?' : `${link.start_known === false ? '~' : ''}${link.start}`);
      });
      // The acting process is drawn in the tree, marked as self.
      expect(await page.$eval('#tree-view .row.self .pid', (e) => Number(e.textContent))).toBe(chain[0]!.pid);
      if (ev.what === 'login') {
        const shot = join(chromium.dir, 'event.png');
        await page.screenshot({ path: shot, fullPage: true });
        expect(statSync(shot).size).toBeGreaterThan(10_000);
      }
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
      await page.close();
      // Without INPUT: the same page, the event read from the logs the history was ingested from.
      const fromHistory = join(chromium.dir, `${ev.what}-from-history.html`);
      const again = await cliInProcess('report', '--event', ev.id, '--db', db, '-o', fromHistory);
      expect(again.code, again.err).toBe(0);
      expect(readFileSync(fromHistory, 'utf8')).toBe(readFileSync(file, 'utf8'));
    }
  }, 60_000);

  it('refuses a malformed id, an id not in the input, and --event with --at, in one line each', async () => {
    const bad = await cliInProcess('report', '--event', '12.3', capture!.logDir, '--db', db);
    expect([bad.code, bad.err.trim().split('\n').length]).toEqual([2, 1]);
    const none = await cliInProcess('report', '--event', '1796280983.178:1', capture!.logDir, '--db', db, '--no-ingest');
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/^proc-tree report: no event 1796280983\.178:1 in /);
    const both = await cliInProcess('report', '--event', '1796280983.178:1', '--at', '1', capture!.logDir, '--db', db);
    expect(both.code).toBe(2);
    expect(both.err).toContain('--event and --at exclude each other');
  });
});
