/**
 * Real headless Chromium (Debian's /usr/bin/chromium through playwright-core) for the report
 * tests: a fresh profile per test file, every request but the page's own file blocked and
 * recorded, script errors and CSP violations collected.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface Opened {
  page: Page;
  /** Every request the page attempted besides its own file. */
  requests: string[];
  /** Script errors and CSP violations reported by the page. */
  errors: string[];
  /** Milliseconds from navigation until the page's script said it was ready. */
  readyMs: number;
}

export interface ChromiumForTests {
  /** A temp directory for this file's pages and databases (removed after the tests). */
  dir: string;
  open(file: string, readyTimeoutMs?: number): Promise<Opened>;
}

/** Launches Chromium before the file's tests (vitest hooks) and closes it after them. */
export function useChromium(): ChromiumForTests {
  const dir = mkdtempSync(join(tmpdir(), 'proc-tree-report-'));
  let browser: BrowserContext | undefined;
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does it)`);
    // A fresh profile for every run: nothing a previous run left can matter.
    browser = await chromium.launchPersistentContext(join(dir, 'profile'), { executablePath: CHROMIUM, args: FLAGS, headless: true, viewport: { width: 1280, height: 900 } });
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir,
    async open(file, readyTimeoutMs = 5_000) {
      const page = await browser!.newPage();
      const url = pathToFileURL(file).href;
      const requests: string[] = [];
      const errors: string[] = [];
      page.on('request', (r) => {
        if (r.url() !== url) requests.push(r.url());
      });
      page.on('pageerror', (e) => errors.push(String(e)));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      // Block everything but the file itself: the page must not need the network.
      await page.route('**/*', (route) => (route.request().url() === url ? route.continue() : route.abort()));
      const t0 = performance.now();
      await page.goto(url);
      await page.waitForSelector('body[data-ready="true"]', { timeout: readyTimeoutMs });
      return { page, requests, errors, readyMs: performance.now() - t0 };
    },
  };
}
