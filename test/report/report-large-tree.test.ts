/**
 * A report of a tree of more than 5,000 processes in Chromium: a synthetic history (the
 * bench generator, 34,000 processes, deterministic) ingested, the page of the deepest
 * process at the last ground-truth probe made, opened, searched and zoomed. Synthetic on
 * purpose: no real capture holds thousands of processes alive at once; correctness of the
 * chain is checked on the real captures (report-chromium, report-event), here it is scale.
 * Times are printed (`large tree:` lines) for the record.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateAuditLog, type Probe } from '../../bench/generate-audit-log.js';
import { openHistoryStore } from '../../src/history/open-history-store.js';
import { reportData, type ReportData, type ReportTreeNode } from '../../src/history/report-data.js';
import { runIngest } from '../../src/ingest/run-ingest.js';
import { renderReport } from '../../src/report/render-report.js';
import { useChromium } from './chromium-page.js';

const chromium = useChromium();
/** Page ready (data parsed, first draw) on a 2-core CI machine shared with other jobs. */
const READY_BUDGET_MS = 5_000;
/** A search, typed until its result is drawn (80 ms debounce included). */
const SEARCH_BUDGET_MS = 2_000;

let data: ReportData;
let file = '';
let probe: Probe;

/** Every node with its depth below the tree's roots. */
function depths(roots: ReportTreeNode[]): { node: ReportTreeNode; depth: number }[] {
  const out: { node: ReportTreeNode; depth: number }[] = [];
  const walk = (n: ReportTreeNode, d: number): void => {
    out.push({ node: n, depth: d });
    for (const c of n.children) walk(c, d + 1);
  };
  for (const r of roots) walk(r, 0);
  return out;
}

describe('report of a tree of thousands of processes (synthetic history, Chromium)', () => {
  beforeAll(async () => {
    const log = join(chromium.dir, 'log');
    mkdirSync(log);
    generateAuditLog({ out: log, maxProcesses: 34_000, live: 30_000, sizeBytes: 400 * 1024 * 1024, killedShare: 0, pidMax: 4_194_304, threadShare: 0 });
    const probes = (JSON.parse(readFileSync(join(log, 'probes.json'), 'utf8')) as { probes: Probe[] }).probes;
    // The latest probe (most processes alive), the deepest chain among the latest.
    probe = [...probes].sort((a, b) => (BigInt(a.atNs) !== BigInt(b.atNs) ? (BigInt(b.atNs) > BigInt(a.atNs) ? 1 : -1) : b.chain.length - a.chain.length))[0]!;
    const db = join(chromium.dir, 'big.db');
    await runIngest({ db, inputs: [log] });
    const store = await openHistoryStore(db);
    try {
      const t0 = performance.now();
      data = await reportData(store, { pid: probe.pid, atNs: BigInt(probe.atNs) });
      const html = renderReport(data, { db, version: 'test', asked: `report ${probe.pid}` });
      console.log(`large tree: ${data.tree.count} processes, page ${(html.length / 1e6).toFixed(1)} MB made in ${(performance.now() - t0).toFixed(0)} ms`);
      file = join(chromium.dir, 'big.html');
      writeFileSync(file, html);
    } finally {
      await store.close();
    }
  }, 120_000);

  it('loads in time, finds the deepest process by search, opens everything within its row cap, and zooms', async () => {
    expect(data.tree.count).toBeGreaterThan(5_000);
    // The page's chain is the simulation's /proc chain of the asked process.
    expect(data.chain.map((l) => l.pid)).toEqual(probe.chain);
    const { page, errors, requests, readyMs } = await chromium.open(file, 30_000);
    console.log(`large tree: page ready in ${readyMs.toFixed(0)} ms`);
    expect(readyMs).toBeLessThan(READY_BUDGET_MS);
    expect(await page.$eval('#search-status', (e) => e.textContent)).toBe(`${data.tree.count} processes`);
    expect(await page.$eval('#tree-view .row.self .pid', (e) => Number(e.textContent))).toBe(probe.pid);

    // The deepest node of the tree (not the asked one: its path is not open by default).
    const all = depths(data.tree.roots);
    const deepest = all.filter((x) => x.node.onChain !== true).sort((a, b) => b.depth - a.depth || a.node.pid - b.node.pid)[0]!;
    expect(deepest.depth).toBeGreaterThanOrEqual(8);
    const q = String(deepest.node.pid);
    const want = all.filter((x) => `${x.node.pid} ${x.node.cmd} ${x.node.exe ?? ''} ${x.node.user ?? (x.node.uid !== undefined ? `uid:${x.node.uid}` : '')}`.toLowerCase().includes(q)).map((x) => x.node.pid).sort((a, b) => a - b);
    expect(await page.$$eval(`#tree-view .node[data-pid="${q}"]`, (els) => els.length)).toBe(0);
    const t0 = performance.now();
    await page.fill('#search', q);
    await page.waitForFunction((n) => document.querySelector('#search-status')?.textContent?.startsWith(`${n} of`), want.length, { timeout: 10_000 });
    const searchMs = performance.now() - t0;
    console.log(`large tree: search for pid ${q} at depth ${deepest.depth} drawn in ${searchMs.toFixed(0)} ms`);
    expect(searchMs).toBeLessThan(SEARCH_BUDGET_MS);
    expect(await page.$$eval('#tree-view .row.hit .pid', (els) => els.map((e) => Number(e.textContent)).sort((a, b) => a - b))).toEqual(want);
    // The hit is drawn at its depth: one .kids box per ancestor above it.
    const nested = await page.$eval(`#tree-view .node[data-pid="${q}"] > .row.hit`, (row) => {
      let n = 0;
      for (let e: Element | null = row.parentElement; e !== null && e.id !== 'tree-view'; e = e.parentElement) if (e.classList.contains('kids')) n++;
      return n;
    });
    expect(nested).toBe(deepest.depth);

    // Open all: drawing stops at the row cap, and says so.
    const t1 = performance.now();
    await page.click('#expand-all');
    await page.waitForFunction(() => document.querySelectorAll('#tree-view .node').length > 100);
    console.log(`large tree: open all drawn in ${(performance.now() - t1).toFixed(0)} ms`);
    const drawn = await page.$$eval('#tree-view .node', (els) => els.length);
    expect(drawn).toBeLessThanOrEqual(2_000);
    expect(await page.$$eval('#tree-view .more', (els) => els.length)).toBeGreaterThan(0);

    // Zoom: the tree's text and rows grow and shrink.
    const size = (): Promise<{ font: number; row: number }> =>
      page.$eval('#tree-view', (v) => ({ font: parseFloat(getComputedStyle(v).fontSize), row: (v.querySelector('.node') as HTMLElement).getBoundingClientRect().height }));
    const before = await size();
    await page.click('#zoom-in');
    await page.click('#zoom-in');
    const larger = await size();
    expect(larger.font).toBe(before.font + 4);
    expect(larger.row).toBeGreaterThan(before.row);
    for (let i = 0; i < 4; i++) await page.click('#zoom-out');
    const smaller = await size();
    expect(smaller.font).toBe(before.font - 4);
    expect(smaller.row).toBeLessThan(before.row);
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  }, 90_000);
});
