/**
 * The report marks ends that were concluded, not recorded, on the real signals-audited
 * capture opened in Chromium: a process killed with kill -9 (no exit record; the test reads
 * the kill from the raw log itself) shows `inferred: sigkill` beside its end in the chain and
 * in the tree, and its end fact gives the reason with the OBJ_PID record as evidence.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reportData } from '../../src/history/report-data.js';
import { renderReport } from '../../src/report/render-report.js';
import { scanAuditLogs, sigkillTargets } from '../support/audit-records.js';
import { useIngestedCapture } from '../support/probe-truth.js';
import { useChromium } from './chromium-page.js';

const ingested = useIngestedCapture('signals-audited');
const chromium = useChromium();

const secs = (ns: bigint): string => `${ns / 1_000_000_000n}.${(ns % 1_000_000_000n).toString().padStart(9, '0').slice(0, 3)}`;

describe('inferred ends in the report (real signals-audited capture, Chromium)', () => {
  it('marks a kill -9 victim\'s end as inferred in the chain and the tree, the reason and OBJ_PID line in its fact', async () => {
    const kills = new Map<number, { timeNs: bigint; serial: number; line: number }>();
    for (const k of sigkillTargets(scanAuditLogs(ingested.capture.logFiles).records)) if (k.pid !== 1 && !kills.has(k.pid)) kills.set(k.pid, k);
    // The latest truth probe of a victim while it ran: then the most victims are alive.
    const probe = [...ingested.capture.truth.probes].reverse().find((p) => kills.has(p.pid) && p.atNs < kills.get(p.pid)!.timeNs);
    expect(probe).toBeDefined();
    const kill = kills.get(probe!.pid)!;
    const data = await reportData(ingested.store, { pid: probe!.pid, atNs: probe!.atNs });
    const file = join(chromium.dir, 'signals.html');
    writeFileSync(file, renderReport(data, { db: 'h.db', version: 'test', asked: `report ${probe!.pid}` }));
    const { page, errors, requests } = await chromium.open(file);

    const self = page.locator('#chain tbody tr').first();
    expect(Number(await self.locator('td').first().textContent())).toBe(probe!.pid);
    expect(await self.locator('td.end .inferred').textContent()).toBe('inferred: sigkill');
    expect(await self.locator('td.end').textContent()).toContain(new Date(Number(kill.timeNs / 1_000_000n)).toISOString().slice(0, -1));
    const fact = self.locator('li.fact.end');
    expect(await fact.count()).toBe(1);
    const factText = (await fact.textContent()) ?? '';
    expect(factText).toContain('end inferred: sigkill');
    expect(factText).toContain(`audit.log:${kill.line} ${secs(kill.timeNs)}:${kill.serial}`);
    // Every chain link killed so is marked; the others (exited on record, or running) are not.
    const chainMarks = await page.$$eval('#chain tbody tr', (trs) => trs.map((tr) => ({ pid: Number(tr.querySelector('td')?.textContent), mark: tr.querySelector('td.end .inferred')?.textContent ?? '' })));
    expect(chainMarks.length).toBeGreaterThan(2);
    for (const m of chainMarks) expect(m.mark, `chain pid ${m.pid}`).toBe(kills.has(m.pid) ? 'inferred: sigkill' : '');

    // The tree: every victim drawn carries the mark, and only victims do.
    await page.click('#expand-all');
    const marked = await page.$$eval('#tree-view .row', (rows) =>
      rows.map((r) => ({ pid: Number(r.querySelector('.pid')?.textContent), mark: r.querySelector('.inferred')?.textContent ?? '' })),
    );
    const victims = marked.filter((m) => kills.has(m.pid));
    expect(victims.length).toBeGreaterThanOrEqual(2);
    for (const v of victims) expect(v.mark, `pid ${v.pid}`).toBe('inferred: sigkill');
    for (const m of marked) if (!kills.has(m.pid)) expect(m.mark, `pid ${m.pid}`).toBe('');
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  }, 20_000);
});
