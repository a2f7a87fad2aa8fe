/**
 * Profiles `proc-tree ingest` (or the adapter stage alone) with V8's sampling profiler and
 * prints where the CPU time goes, by pipeline stage and by function.
 *
 *   node dist/bench/profile-ingest.js FILE                  whole ingest into a scratch db
 *   node dist/bench/profile-ingest.js --stage adapter FILE  split + adapter only
 *   node dist/bench/profile-ingest.js --top 40 --keep DIR FILE
 *
 * The .cpuprofile files (one per thread) can be opened in Chrome DevTools or VS Code.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { summarizeProfiles } from './harness/cpu-profile-summary.js';
import { removeDatabase } from './harness/proc-tree-cli.js';

function main(): number {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    options: { stage: { type: 'string' }, top: { type: 'string' }, keep: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
  });
  const file = positionals[0];
  if (values.help || file === undefined) {
    process.stdout.write('usage: node dist/bench/profile-ingest.js [--stage split|adapter] [--top N] [--keep DIR] FILE\n');
    return values.help ? 0 : 2;
  }
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const profDir = values.keep ?? mkdtempSync(join(tmpdir(), 'proc-tree-prof-'));
  mkdirSync(profDir, { recursive: true });
  const db = join(profDir, 'profile.db');
  removeDatabase(db);
  const target =
    values.stage === undefined
      ? [join(repoRoot, 'dist', 'src', 'cli', 'main.js'), 'ingest', '--db', db, file]
      : [join(repoRoot, 'dist', 'bench', 'stages', 'pipeline-stages.js'), '--stage', values.stage, file];
  const started = process.hrtime.bigint();
  const run = spawnSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${profDir}`, ...target], { stdio: ['ignore', 'ignore', 'inherit'] });
  const wallS = Number(process.hrtime.bigint() - started) / 1e9;
  if (run.status !== 0) {
    process.stderr.write(`profile-ingest: the profiled command failed (exit ${run.status})\n`);
    return 1;
  }
  const profiles = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(profDir, f));
  const summary = summarizeProfiles(profiles, Number(values.top ?? 30));
  const pct = (x: number): string => `${(100 * x).toFixed(1).padStart(5)}%`;
  const out: string[] = [`profiled ${target.slice(1).join(' ')}`, `wall ${wallS.toFixed(2)} s, sampled CPU ${(summary.totalMs / 1000).toFixed(2)} s in ${profiles.length} thread(s)`, '', 'by stage:'];
  for (const s of summary.stages) out.push(`  ${pct(s.share)} ${s.selfMs.toFixed(0).padStart(7)} ms  ${s.where}`);
  out.push('', 'by function (self time):');
  for (const f of summary.functions) out.push(`  ${pct(f.share)} ${f.selfMs.toFixed(0).padStart(7)} ms  ${f.where}`);
  process.stdout.write(out.join('\n') + '\n');
  if (values.keep === undefined) rmSync(profDir, { recursive: true, force: true });
  else {
    removeDatabase(db);
    process.stdout.write(`\nprofiles kept in ${profDir}\n`);
  }
  return 0;
}

process.exitCode = main();
