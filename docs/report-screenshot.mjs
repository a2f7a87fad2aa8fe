// Regenerates docs/report.png (the README's screenshot of `proc-tree report`):
//   npm run build && node docs/report-screenshot.mjs
// Ingests the real shell-pipeline-enriched capture into a temp database, writes the report
// of the pipeline's sed (pid 430) while the pipeline runs, and shoots it in Debian's chromium.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'proc-tree-shot-'));
try {
  const cli = (...args) => execFileSync(process.execPath, [join(root, 'dist/src/cli/main.js'), ...args], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  cli('ingest', '--db', join(dir, 'h.db'), 'samples/auditd/shell-pipeline-enriched/logs');
  cli('report', '430', '--at', '1795589216.858', '--db', join(dir, 'h.db'), '-o', join(dir, 'r.html'));
  const ctx = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: '/usr/bin/chromium', headless: true, viewport: { width: 1280, height: 860 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await ctx.newPage();
  await page.route('**/*', (r) => (r.request().url().startsWith('file:') ? r.continue() : r.abort()));
  await page.goto(pathToFileURL(join(dir, 'r.html')).href);
  await page.waitForSelector('body[data-ready="true"]');
  await page.click('#ancestry details.facts summary');
  await page.screenshot({ path: join(root, 'docs/report.png'), fullPage: false });
  await ctx.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
