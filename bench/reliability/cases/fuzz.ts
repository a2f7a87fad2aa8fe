import { exitCodes, runFuzz } from '../../fuzz/fuzz-run.js';
import type { ReliabilityCaseOptions, ReliabilityRow } from '../reliability-row.js';

/** Fuzzing of both parsers through the real CLI (bench/fuzz/): one row per parser. */
export async function run(o: ReliabilityCaseOptions): Promise<ReliabilityRow[]> {
  const r = await runFuzz({ repoRoot: o.repoRoot, workDir: o.workDir, seed: o.seed, cases: o.quick ? 38 : 380, hugeLineBytes: (o.quick ? 2 : 100) << 20 });
  return (['auditd', 'proc-connector'] as const).map((target) => {
    const kinds = r.byKind.filter((t) => t.target === target);
    const sum = (f: (t: (typeof kinds)[number]) => number) => kinds.reduce((a, t) => a + f(t), 0);
    return {
      category: `fuzz ${target}`,
      case: kinds.map((t) => t.kind).join('; '),
      inputsTried: sum((t) => t.cases),
      crashes: sum((t) => t.crashes),
      internalErrors: sum((t) => t.internalErrors),
      maxPeakRssMiB: Math.max(...kinds.map((t) => t.maxRssKb)) / 1024,
      command: `npm run fuzz -- --seed ${o.seed} --cases ${o.quick ? 38 : 380}`,
      notes: `damage counted in ${sum((t) => t.damageCounted)}/${sum((t) => t.cases)} runs; known damage position named in ${sum((t) => t.positionsFound)}/${sum((t) => t.positionsExpected)}; over RSS bound ${sum((t) => t.rssOver)}; ${kinds.map((t) => `${t.kind}: ${exitCodes(t)}`).join('; ')}`,
    };
  });
}
