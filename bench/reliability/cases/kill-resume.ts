import { cpSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { killResume, landedMidRun, type KillResumeResult } from '../kill-resume.js';
import type { ReliabilityCaseOptions, ReliabilityRow } from '../reliability-row.js';

/** The two captures with rotated files (audit.log, .1, .2), ingested together in one command. */
export const ROTATED_SAMPLES = ['samples/auditd/busy-machine-rotation/logs', 'samples/auditd/rotation/logs'];
/** Small commits, so that most kills land between commits of a half-read input. */
export const COMMIT_EVERY = '300';

/** Copies the rotated captures into dir (a private copy: samples/ may be re-recorded meanwhile). */
export function copyRotatedSamples(repoRoot: string, dir: string): string[] {
  return ROTATED_SAMPLES.map((s, i) => {
    const to = join(dir, `input-${i}-${s.split('/')[2]}`);
    cpSync(join(repoRoot, s), to, { recursive: true });
    return to;
  });
}

/** kill -9 of the ingest's process group at N seeded random moments; resume until done. */
export async function run(o: ReliabilityCaseOptions): Promise<ReliabilityRow[]> {
  const inputs = copyRotatedSamples(o.repoRoot, o.workDir);
  const files = inputs.flatMap((d) => readdirSync(d).map((f) => statSync(join(d, f)).size));
  const trials = o.quick ? 3 : 20;
  const r = await killResume({ repoRoot: o.repoRoot, workDir: o.workDir, ingestArgs: ['--commit-every', COMMIT_EVERY, ...inputs], trials, seed: o.seed });
  return [
    {
      category: 'kill -9',
      case: `ingest of 2 rotated captures (${files.length} files, ${(files.reduce((a, b) => a + b, 0) / 1e6).toFixed(2)} MB), SIGKILL of the process group at random moments, re-run until done`,
      inputsTried: r.killsSent + r.runsToCompletion,
      crashes: r.crashes,
      internalErrors: r.internalErrors,
      maxPeakRssMiB: r.maxPeakRssKb / 1024,
      killPointsSurvived: r.killPointsSurvived,
      dumpsIdentical: r.dumpsIdentical === r.trials,
      command: 'npm run reliability -- --only kill-resume',
      notes: describe(r),
    },
  ];
}

function describe(r: KillResumeResult): string {
  const l = r.landed;
  return (
    `${r.trials} fresh databases, ${r.killsSent} kills sent (delay uniform in [0, ${r.referenceWallS.toFixed(2)} s), the uninterrupted run's wall time), ` +
    `${landedMidRun(r)} landed mid-run: ${l['mid-ingest']} with part committed, ${l['nothing committed']} before the first commit, ${l['no database yet']} before the database existed` +
    `${l['all sources complete'] ? `; ${l['all sources complete']} after the last commit` : ''}; ` +
    `${r.killsSent - landedMidRun(r) - l['all sources complete']} came after the run had ended; ` +
    `${r.dumpsIdentical}/${r.trials} final canonical dumps equal the uninterrupted ingest's; --commit-every ${COMMIT_EVERY}; ${r.totalWallS.toFixed(0)} s` +
    (r.failures.length ? `; ${r.failures.join('; ')}` : '')
  );
}
