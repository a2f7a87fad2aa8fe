import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { formatFuzzResult, runFuzz } from './fuzz-run.js';

const USAGE = `usage: npm run fuzz -- [--seed N] [--cases N] [--only-case I] [--huge-line-mb N] [--keep DIR]
Mutates the real captures in samples/ (bit flips, truncation, spliced lines, NUL bytes, invalid
UTF-8, misplaced GS, lines without msg=audit(, long lines, connector lengths, damaged sidecars),
ingests each with the built CLI into a fresh database and prints what happened. Exit 1 when a
case crashed, showed an internal error, went over the RSS bound or lost a damage position.`;

/** dist/bench/fuzz/main.js -> the repository root. */
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function integer(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text)) throw new Error(`--${name} must be a non-negative integer, got '${text}'`);
  return Number(text);
}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: { seed: { type: 'string' }, cases: { type: 'string' }, 'only-case': { type: 'string' }, 'huge-line-mb': { type: 'string' }, keep: { type: 'string' }, help: { type: 'boolean' } },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let seed, cases, hugeMb, onlyCase;
  try {
    seed = integer(values.seed, 'seed', 1);
    cases = integer(values.cases, 'cases', 200);
    hugeMb = integer(values['huge-line-mb'], 'huge-line-mb', 100);
    onlyCase = values['only-case'] === undefined ? undefined : integer(values['only-case'], 'only-case', 0);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  // --keep DIR need not exist yet (each case makes DIR/case-N-XXXXXX in it).
  if (values.keep !== undefined) mkdirSync(values.keep, { recursive: true });
  const workDir = values.keep ?? mkdtempSync(join(tmpdir(), 'proc-tree-fuzz-'));
  try {
    const result = await runFuzz({
      repoRoot: REPO_ROOT,
      workDir,
      seed,
      cases,
      hugeLineBytes: hugeMb << 20,
      ...(onlyCase !== undefined ? { onlyCase } : {}),
      ...(values.keep !== undefined ? { keepFailuresIn: values.keep } : {}),
      onCase: (o) => process.stderr.write(`case ${o.case.index} ${o.case.target} / ${o.case.kind}: exit ${o.exitCode}${o.failure ? `  FAIL ${o.failure}` : ''}\n`),
    });
    process.stdout.write(formatFuzzResult(result, seed) + '\n');
    return result.failures.length > 0 ? 1 : 0;
  } finally {
    if (values.keep === undefined) rmSync(workDir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
