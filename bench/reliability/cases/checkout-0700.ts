import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcTreeRunner } from '../proc-tree-runner.js';
import { RowTally } from '../judge-run.js';
import type { ReliabilityCaseOptions, ReliabilityRow } from '../reliability-row.js';

/**
 * The test files that failed from a checkout in a root-owned 0700 directory (issue 11: their
 * runs as user nobody could not reach dist/ there; later, test/cli/ingest.test.ts read
 * traces from ../shared beside the checkout). They are the only tests that run as nobody.
 */
export const TEST_FILES = ['test/cli/ingest.test.ts', 'test/history/open-history-db.test.ts'];
const SAMPLE = 'samples/auditd/exec-chain/logs/audit.log';

interface VitestReport {
  numTotalTests: number;
  numPassedTests: number;
  numFailedTests: number;
  testResults: { name: string; assertionResults: { fullName: string; status: string; failureMessages?: string[] }[] }[];
}

/** Runs vitest from the clone on `files` only (the suite's PostgreSQL global setup is not needed by them). */
function runVitest(outer: string, clone: string, name: string, files: string[]): { report: VitestReport; failures: string[]; perFile: string[]; seconds: number } {
  const config = join(outer, `vitest-${name}.config.mjs`);
  writeFileSync(config, `export default { test: { include: ${JSON.stringify(files)}, maxWorkers: 1, testTimeout: 60000 } };\n`);
  const reportFile = join(outer, `vitest-${name}.json`);
  const started = Date.now();
  spawnSync('npx', ['vitest', 'run', '--config', config, '--root', clone, '--reporter=json', `--outputFile=${reportFile}`], { cwd: clone, encoding: 'utf8', timeout: 240_000 });
  const report = JSON.parse(readFileSync(reportFile, 'utf8')) as VitestReport;
  return {
    report,
    failures: report.testResults.flatMap((f) => f.assertionResults.filter((a) => a.status === 'failed').map((a) => `${a.fullName}: ${(a.failureMessages ?? []).join(' ').split('\n')[0]!.slice(0, 120)}`)),
    perFile: report.testResults.map((f) => `${f.name.slice(clone.length + 1)} ${f.assertionResults.filter((a) => a.status === 'passed').length}/${f.assertionResults.length}`),
    seconds: (Date.now() - started) / 1000,
  };
}

/**
 * A clone of the repository in a fresh `mktemp -d` directory (mode 0700, owned by root),
 * built there, its permission tests run there with vitest, and the built CLI of the clone
 * run as root on a real capture. A second row: the test files that read third-party
 * traces from ../shared/corpus, run from the same clone, which has nothing beside it.
 */
export async function run(o: ReliabilityCaseOptions): Promise<ReliabilityRow[]> {
  if (process.getuid?.() !== 0) throw new Error('the 0700-checkout case checks a root-owned directory: run it as root');
  const outer = mkdtempSync(join(tmpdir(), 'proc-tree-checkout-0700-'));
  try {
    const mode = (statSync(outer).mode & 0o777).toString(8);
    const clone = join(outer, 'p');
    execFileSync('git', ['clone', '-q', o.repoRoot, clone]);
    const head = execFileSync('git', ['-C', clone, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    // npm ci would fetch the packages again: the checkout's installed ones are linked instead.
    symlinkSync(join(o.repoRoot, 'node_modules'), join(clone, 'node_modules'));
    const build = spawnSync('npm', ['run', 'build'], { cwd: clone, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`npm run build in the clone: exit ${build.status}: ${(build.stderr || build.stdout).trim().split('\n').pop()}`);

    const { report, failures: failed, perFile, seconds: testS } = runVitest(outer, clone, 'own', TEST_FILES);
    // The tests that read third-party traces from ../shared/corpus beside the checkout
    // (README: "when present"): a clone elsewhere has none.
    const corpusFiles = execFileSync('grep', ['-rlE', "'shared', 'corpus'|trace-helpers", 'test', '--include=*.test.ts'], { cwd: clone, encoding: 'utf8' }).trim().split('\n').filter(Boolean).sort();
    const corpus = runVitest(outer, clone, 'corpus', corpusFiles);
    const corpusFailing = corpus.report.testResults.filter((f) => f.assertionResults.some((a) => a.status !== 'passed') || f.assertionResults.length === 0).length;

    // The clone's own CLI, as root, on a real capture: ingest, then a query.
    const cli = new ProcTreeRunner(clone);
    const tally = new RowTally();
    const db = join(outer, 'h.db');
    const ingest = await cli.run(['ingest', '--db', db, join(clone, SAMPLE)]);
    tally.add(ingest, 'ingest from the clone');
    const find = await cli.run(['find', '--cmd', 'sh', '--db', db], { captureStdout: true });
    tally.add(find, 'find from the clone');
    const cliOk = ingest.exitCode === 0 && find.exitCode === 0 && find.stdout.trim() !== '';
    return [
      {
        category: 'checkout location',
        case: `a clone (git clone of HEAD ${head}) in a root-owned 0${mode} mktemp -d directory, built there; the tests that run the CLI as user nobody (${TEST_FILES.join(', ')}); the clone's CLI as root`,
        inputsTried: report.numTotalTests + tally.inputsTried,
        crashes: tally.crashes,
        internalErrors: tally.internalErrors,
        maxPeakRssMiB: tally.maxPeakRssMiB,
        command: 'npm run reliability -- --only checkout-0700',
        notes:
          `tests passed ${report.numPassedTests}/${report.numTotalTests} (${perFile.join(', ')}) in ${testS.toFixed(0)} s; nobody runs a world-readable copy of the build (test/support/nobody-install.ts); ` +
          `node_modules linked from the checkout (no npm ci); the clone's ingest + find as root: ${cliOk ? 'answered' : `FAILED (${tally.exitSummary()})`}` +
          (failed.length ? `; FAILED: ${failed.slice(0, 3).join('; ')}` : ''),
      },
      {
        category: 'checkout location',
        case: `the same clone, no ../shared/corpus beside it: the ${corpusFiles.length} test files that read third-party traces from there`,
        inputsTried: corpus.report.numTotalTests,
        crashes: 0,
        internalErrors: 0,
        maxPeakRssMiB: NaN,
        command: 'npm run reliability -- --only checkout-0700',
        notes:
          `tests passed ${corpus.report.numPassedTests}/${corpus.report.numTotalTests}, failed ${corpus.report.numFailedTests}; ${corpusFailing}/${corpusFiles.length} files not all passing` +
          (corpusFailing > 0 ? ` (NOT FIXED: they read the traces unconditionally; README says 'when present'): ${corpus.failures.slice(0, 2).join('; ')}` : ''),
      },
    ];
  } finally {
    rmSync(outer, { recursive: true, force: true });
  }
}
