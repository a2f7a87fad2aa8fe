/**
 * The HTML report opened in real headless Chromium (Debian's /usr/bin/chromium through
 * playwright-core), on the real hostile-argv capture: its command lines hold <script>,
 * <img onerror> and attribute break-outs, chosen by the "attacker" during the capture.
 * Checks: the chain in the DOM is the one /proc showed at a settled probe, nothing of the
 * argv runs, no network request is even attempted, the filter box finds what the data holds,
 * subtrees close and open, and a screenshot can be taken.
 */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reportData, type ReportData, type ReportTreeNode } from '../../src/history/report-data.js';
import { renderReport } from '../../src/report/render-report.js';
import { cliInProcess } from '../cli/cli-in-process.js';
import { knowable, mismatch, askAncestry, settledAmong, useIngestedCapture } from '../support/probe-truth.js';
import type { TruthProbe } from '../support/truth.js';
import { useChromium } from './chromium-page.js';

const ingested = useIngestedCapture('hostile-argv');
const chromium = useChromium();
const dir = chromium.dir;
const open = chromium.open;

/** The settled probe with the longest chain the log can know: the deepest hostile process. */
async function deepestSettledProbe(): Promise<TruthProbe> {
  const { capture, store, syscalls } = ingested;
  let best: TruthProbe | undefined;
  for (const probe of capture.truth.probes) {
    const want = knowable(probe, capture);
    if (!settledAmong(syscalls, probe, want)) continue;
    if (best === undefined || want.length > knowable(best, capture).length) best = probe;
  }
  if (best === undefined) throw new Error('hostile-argv has no settled probe');
  // The history itself agrees with /proc there (else the page could not).
  expect(mismatch(await askAncestry(store, best), knowable(best, capture))).toBe('');
  return best;
}

function walk(nodes: ReportTreeNode[], fn: (n: ReportTreeNode) => void): void {
  for (const n of nodes) {
    fn(n);
    walk(n.children, fn);
  }
}

describe('proc-tree report in headless Chromium (real hostile-argv capture)', () => {
  it('shows the true chain, runs none of the argv, asks the network for nothing, filters and collapses', async () => {
    const probe = await deepestSettledProbe();
    const want = knowable(probe, ingested.capture);
    const data: ReportData = await reportData(ingested.store, { pid: probe.pid, atNs: probe.atNs });
    const file = join(dir, 'report.html');
    writeFileSync(file, renderReport(data, { db: 'h.db', version: 'test', asked: `report ${probe.pid}` }));
    const { page, requests, errors } = await open(file);

    // The chain, self first, against what /proc showed.
    const rows = await page.$$eval('#chain tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
    for (let i = 0; i < want.length; i++) {
      expect(Number(rows[i]![0]), `chain row ${i}`).toBe(want[i]!.pid);
      if (i < want.length - 1) expect(Number(rows[i]![1]), `ppid of row ${i}`).toBe(want[i]!.ppid);
    }
    // The attacker's strings are there, as text, exactly as the history holds them.
    const chainText = await page.$eval('#chain', (t) => t.textContent ?? '');
    const hostile = data.chain.flatMap((l) => [...(l.argv ?? []), l.exe ?? '']).filter((s) => /[<>"&]/.test(s));
    expect(hostile.length).toBeGreaterThan(0);
    for (const s of hostile) expect(chainText).toContain(s);
    // ... and none of it ran or became markup.
    expect(await page.title()).toBe(`proc-tree report: pid ${probe.pid} at ${await page.$eval('#h-at', (e) => e.textContent)}`);
    expect(await page.$$eval('img, svg, iframe, object, embed', (els) => els.length)).toBe(0);
    expect(await page.$$eval('script', (els) => els.length)).toBe(2);
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);

    // The tree: the asked process is drawn (its path opened), marked as self.
    expect(await page.$eval('#tree-view .row.self .pid', (e) => e.textContent)).toBe(String(probe.pid));
    // The filter box finds exactly the processes whose pid, command, executable or user hold the text.
    let all = 0;
    const expectHits = (q: string): number[] => {
      const hits: number[] = [];
      all = 0;
      walk(data.tree.roots, (n) => {
        all++;
        if (`${n.pid} ${n.cmd} ${n.exe ?? ''} ${n.user ?? (n.uid !== undefined ? `uid:${n.uid}` : '')}`.toLowerCase().includes(q.toLowerCase())) hits.push(n.pid);
      });
      return hits.sort((a, b) => a - b);
    };
    for (const q of ['pwned-svg', 'sleep', 'onerror']) {
      const hits = expectHits(q);
      expect(hits.length, q).toBeGreaterThan(0);
      await page.fill('#search', q);
      await page.waitForFunction((n) => document.querySelector('#search-status')?.textContent?.startsWith(`${n} of`), hits.length, { timeout: 3_000 });
      const shown = await page.$$eval('#tree-view .row.hit .pid', (els) => els.map((e) => Number(e.textContent)).sort((a, b) => a - b));
      expect(shown, q).toEqual(hits);
    }
    await page.fill('#search', '');
    await page.waitForFunction((n) => document.querySelector('#search-status')?.textContent === `${n} processes`, all);
    // Closing the root hides every other node; opening it again restores what was open.
    const drawn = async (): Promise<number> => page.$$eval('#tree-view .node', (els) => els.length);
    const before = await drawn();
    expect(before).toBeGreaterThan(1);
    await page.click('#tree-view > .node > .row > .toggle');
    expect(await drawn()).toBe(1);
    await page.click('#tree-view > .node > .row > .toggle');
    expect(await drawn()).toBe(before);

    const shot = join(dir, 'report.png');
    await page.fill('#search', 'pwned');
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(10_000);
    expect(requests).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  }, 20_000);

  it('the CLI writes the same page with -o, and refuses a pid not alive then', async () => {
    const probe = await deepestSettledProbe();
    const db = join(dir, 'cli.db');
    const out = join(dir, 'cli.html');
    await cliInProcess('ingest', '--db', db, ingested.capture.logDir);
    const ok = await cliInProcess('report', String(probe.pid), '--at', probe.atNs.toString().replace(/(\d{9})$/, '.$1'), '--db', db, '-o', out);
    expect(ok.err).toContain(`report written to ${out}`);
    expect(ok.code).toBe(0);
    const { page, requests } = await open(out);
    expect(await page.$eval('#chain tbody tr', (tr) => Number(tr.querySelector('td')?.textContent))).toBe(probe.pid);
    expect(await page.$eval('#h-version', (e) => e.textContent)).toMatch(/^proc-tree \d+\.\d+\.\d+/);
    expect(requests).toEqual([]);
    await page.close();
    const gone = await cliInProcess('report', '4194303', '--at', probe.atNs.toString().replace(/(\d{9})$/, '.$1'), '--db', db, '-o', join(dir, 'none.html'));
    expect(gone.code).toBe(1);
    expect(gone.err).toMatch(/^proc-tree report: no process with pid 4194303/);
    expect(existsSync(join(dir, 'none.html'))).toBe(false);
  }, 20_000);
});
