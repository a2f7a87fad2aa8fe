import { countKills, followKillResume, ROTATION_WINDOW_MS, type FollowKillResumeResult } from '../follow-kill-resume.js';
import type { ReliabilityCaseOptions, ReliabilityRow } from '../reliability-row.js';

/** The full case: rounds until at least 24 kills; the vitest version (test/reliability/follow-kill.test.ts) runs one short round. */
export const FULL = { minKills: 24, maxRounds: 6, maxKillsPerRound: 12, pauseMs: 120, linesPerChunk: 40 };
export const QUICK = { minKills: 3, maxRounds: 1, maxKillsPerRound: 4, pauseMs: 80, linesPerChunk: 60 };

/** kill -9 of `ingest --follow` while a writer appends and rotates a real log; restart each time. */
export async function run(o: ReliabilityCaseOptions): Promise<ReliabilityRow[]> {
  const r = await followKillResume({ repoRoot: o.repoRoot, workDir: o.workDir, seed: o.seed, ...(o.quick ? QUICK : FULL) });
  const c = countKills(r);
  return [
    {
      category: 'kill -9',
      case: `ingest --follow of a log written and rotated like auditd (${r.generations} real generations, ${(r.logBytes / 1e6).toFixed(2)} MB, one rotation gzipped, one generation rotated away within a poll), SIGKILL of the process group at random moments, restarted each time`,
      inputsTried: r.kills.length + r.cleanStops,
      crashes: r.crashes,
      internalErrors: r.internalErrors,
      maxPeakRssMiB: r.maxPeakRssKb / 1024,
      killPointsSurvived: r.dumpsIdentical === r.rounds ? c.landed : r.kills.filter((k) => k.landed && r.failures.every((f) => !f.startsWith(`round ${k.round}:`))).length,
      dumpsIdentical: r.dumpsIdentical === r.rounds,
      command: 'npm run reliability -- --only follow-kill-resume',
      notes: describe(r),
    },
  ];
}

export function describe(r: FollowKillResumeResult): string {
  const c = countKills(r);
  const kinds = new Map<string, number>();
  for (const k of r.kills) kinds.set(k.kind, (kinds.get(k.kind) ?? 0) + 1);
  return (
    `${r.rounds} rounds (${r.freshRounds} on a fresh database, the others after a plain ingest of the directory), ${r.rotations} rotations (${r.gzipRotations} gzipped, ${r.burstGenerations} right after a generation written in one burst); ` +
    `${r.kills.length} kills (${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')}), ${c.landed} reached a running follow: ` +
    `${c.beforeFirstCommit} before its first commit, ${c.nearRotation} within ${ROTATION_WINDOW_MS} ms of a rotation, ${c.rotatedWhileDown} with a rotation while it was down ` +
    `(${c.lostGenerationScenario} of them before its first commit: the case that lost a generation before e817550); ` +
    `${r.cleanStops} clean stops (Ctrl-C) after catching up; ${r.dumpsIdentical}/${r.rounds} final canonical dumps equal a plain ingest of the final directory (file names aside); ${r.totalWallS.toFixed(0)} s` +
    (r.failures.length ? `; ${r.failures.join('; ')}` : '')
  );
}
