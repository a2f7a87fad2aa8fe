import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, hostname, release, tmpdir, totalmem } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { ReliabilityCase, ReliabilityRow } from './reliability-row.js';
import { renderReliabilityPage, rowsNotRerun } from './reliability-table.js';

const USAGE = `usage: npm run reliability -- [--seed N] [--quick] [--only CASE[,CASE...]] [--out FILE]
Runs every bench/reliability/cases/*.ts and writes the table to docs/reliability.md (or --out).`;

/** dist/bench/reliability/run.js -> the repository root. */
const HERE = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = resolve(HERE, '..', '..', '..');

function machine(): string {
  const cpu = cpus();
  return `${hostname()}: ${cpu.length} x ${cpu[0]?.model.trim() ?? 'unknown cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${release()}, Node ${process.version}`;
}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: { seed: { type: 'string', default: '1' }, quick: { type: 'boolean', default: false }, only: { type: 'string' }, out: { type: 'string' } },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) {
    process.stderr.write(`--seed must be an integer, got '${values.seed}'\n`);
    return 2;
  }
  const casesDir = join(HERE, 'cases');
  const only = values.only?.split(',').filter(Boolean);
  const names = readdirSync(casesDir)
    .filter((f) => f.endsWith('.js'))
    .map((f) => basename(f, '.js'))
    .filter((n) => only === undefined || only.includes(n))
    .sort();
  if (names.length === 0) {
    process.stderr.write(`no case to run in ${casesDir}${only ? ` matching --only ${values.only}` : ''}\n`);
    return 2;
  }
  const started = Date.now();
  const rows: ReliabilityRow[] = [];
  let failed = 0;
  for (const name of names) {
    const workDir = mkdtempSync(join(tmpdir(), `proc-tree-reliability-${name}-`));
    const t0 = Date.now();
    process.stderr.write(`case ${name} ...\n`);
    try {
      const module = (await import(pathToFileURL(join(casesDir, `${name}.js`)).href)) as ReliabilityCase;
      const got = await module.run({ repoRoot: REPO_ROOT, workDir, seed, quick: values.quick });
      rows.push(...got);
      for (const r of got) process.stderr.write(`  ${r.category} / ${r.case}: ${r.inputsTried} tried, ${r.crashes} crashes, ${r.internalErrors} internal errors\n`);
    } catch (error) {
      // A case that cannot run is a row too: the table must not hide it.
      failed++;
      const message = error instanceof Error ? error.message : String(error);
      process.stderr.write(`  case ${name} failed: ${error instanceof Error ? error.stack : message}\n`);
      rows.push({ category: name, case: 'case failed to run', inputsTried: 0, crashes: 0, internalErrors: 0, maxPeakRssMiB: NaN, command: `npm run reliability -- --only ${name}`, notes: message.split('\n')[0]! });
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
    process.stderr.write(`  (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
  }
  const out = values.out ?? join(REPO_ROOT, 'docs', 'reliability.md');
  const flags = [...(values.seed !== '1' ? [`--seed ${seed}`] : []), ...(values.quick ? ['--quick'] : []), ...(only ? [`--only ${only.join(',')}`] : [])];
  const command = flags.length > 0 ? `npm run reliability -- ${flags.join(' ')}` : 'npm run reliability';
  const kept = only !== undefined && existsSync(out) ? rowsNotRerun(readFileSync(out, 'utf8'), names) : [];
  writeFileSync(out, renderReliabilityPage(rows, { command, generatedAt: new Date(), machine: machine(), seed, quick: values.quick, durationS: (Date.now() - started) / 1000 }, kept));
  process.stderr.write(`wrote ${out}: ${rows.length} row(s)\n`);
  const bad = rows.filter((r) => r.crashes > 0 || r.internalErrors > 0 || r.dumpsIdentical === false).length;
  return failed > 0 || bad > 0 ? 1 : 0;
}

process.exitCode = await main();
