import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { judgeRun } from '../reliability/judge-run.js';
import { ProcTreeRunner } from '../reliability/proc-tree-runner.js';
import type { SourcePosition } from '../../src/events/event-sink.js';
import { FUZZ_KINDS, makeFuzzCase, type FuzzCase, type FuzzTarget } from './fuzz-case.js';
import { loadFuzzSamples } from './fuzz-samples.js';

/** Peak RSS one ingest of a small mutated capture may reach (issue 14's bound at any log size), KiB. */
export const RSS_LIMIT_KB = 256 * 1024;

export interface FuzzOptions {
  repoRoot: string;
  workDir: string;
  seed: number;
  cases: number;
  /** Run only this case index (to replay a failure). */
  onlyCase?: number;
  /** Length of the line `long line` inserts; the first such case uses hugeLineBytes instead. */
  longLineBytes?: number;
  hugeLineBytes?: number;
  /** Keep the inputs of failing cases here instead of deleting them. */
  keepFailuresIn?: string;
  /** Ingest each unmutated sample too, to tell new damage from the sample's own warnings (default true). */
  baselines?: boolean;
  onCase?: (o: CaseOutcome) => void;
}

/** What the summary of a run (`ingest --json`) said, as far as the fuzz judges it. */
interface SummaryView {
  skipped: Record<string, number>;
  skippedAt?: Record<string, SourcePosition[]>;
}

export interface CaseOutcome {
  case: FuzzCase;
  exitCode: number;
  maxRssKb: number;
  crashed: boolean;
  internalError: boolean;
  rssOver: boolean;
  /** Damaged records the summary counted; undefined when no summary was printed (a refusal). */
  skipped?: number;
  /** Some reason counted more often than in the unmutated sample (false when baselines are off): the damage was seen. */
  damageCounted: boolean;
  /** For cases with a known damage position: whether the summary named it. */
  positionFound?: boolean;
  /** Why the case failed, or undefined. */
  failure?: string;
  stderrTail: string;
}

export interface KindTally {
  target: FuzzTarget;
  kind: string;
  cases: number;
  crashes: number;
  internalErrors: number;
  rssOver: number;
  maxRssKb: number;
  damageCounted: number;
  positionsExpected: number;
  positionsFound: number;
  exitCodes: Map<number, number>;
}

export interface FuzzResult {
  outcomes: CaseOutcome[];
  byKind: KindTally[];
  failures: CaseOutcome[];
  maxRssKb: number;
  wallS: number;
}

const total = (s: SummaryView | undefined): number | undefined => (s === undefined ? undefined : Object.values(s.skipped).reduce((a, b) => a + b, 0));

function parseSummary(stdout: string): SummaryView | undefined {
  const line = stdout.trim().split('\n').pop();
  if (!line?.startsWith('{')) return undefined;
  try {
    return JSON.parse(line) as SummaryView;
  } catch {
    return undefined;
  }
}

function named(s: SummaryView | undefined, e: NonNullable<FuzzCase['expect']>): boolean {
  if (s?.skippedAt === undefined) return false;
  return Object.values(s.skippedAt).some((ps) => ps.some((p) => p.file === e.file && (e.line === undefined || p.line === e.line) && (e.offset === undefined || p.offset === e.offset)));
}

/**
 * A bounded, seeded fuzz run: `cases` mutated copies of the real captures in samples/, each
 * ingested by the built CLI (a child process under GNU time) into a fresh SQLite database,
 * and judged: no crash, no internal error or stack trace, peak RSS under RSS_LIMIT_KB, the
 * damage counted in the summary and, where the mutation broke a known line or message, its
 * position named.
 */
export async function runFuzz(o: FuzzOptions): Promise<FuzzResult> {
  const started = Date.now();
  const samples = loadFuzzSamples(o.repoRoot);
  const cli = new ProcTreeRunner(o.repoRoot);
  const baselines = new Map<string, Record<string, number> | undefined>();
  const outcomes: CaseOutcome[] = [];
  let hugeUsed = o.hugeLineBytes === undefined;
  const indexes = o.onlyCase !== undefined ? [o.onlyCase] : Array.from({ length: o.cases }, (_, i) => i);
  for (const index of indexes) {
    const dir = mkdtempSync(join(o.workDir, `case-${index}-`));
    let keep = false;
    try {
      const isLong = FUZZ_KINDS[index % FUZZ_KINDS.length]!.kind === 'long line';
      const longLineBytes = isLong && !hugeUsed ? o.hugeLineBytes! : (o.longLineBytes ?? 2 << 20);
      if (isLong) hugeUsed = true;
      const c = makeFuzzCase(samples, o.seed, index, join(dir, 'in'), { longLineBytes });
      const run = await cli.run(['ingest', '--db', join(dir, 'h.db'), '--json', ...c.ingestArgs], { captureStdout: true });
      const verdict = judgeRun(run);
      const summary = parseSummary(run.stdout);
      const key = `${c.target}:${c.sample}`;
      if (o.baselines !== false && !baselines.has(key)) baselines.set(key, await baseline(cli, o.repoRoot, c, join(dir, 'base.db')));
      const base = baselines.get(key);
      const skipped = total(summary);
      const outcome: CaseOutcome = {
        case: c,
        exitCode: run.exitCode,
        maxRssKb: run.maxRssKb,
        crashed: verdict.crashed,
        internalError: verdict.internalError,
        rssOver: run.maxRssKb > RSS_LIMIT_KB,
        damageCounted: summary !== undefined && base !== undefined && Object.entries(summary.skipped).some(([reason, n]) => n > (base[reason] ?? 0)),
        stderrTail: run.stderrTail,
      };
      if (skipped !== undefined) outcome.skipped = skipped;
      if (c.expect) outcome.positionFound = named(summary, c.expect);
      const why = [
        ...(verdict.crashed ? [`crash: exit ${run.exitCode}`] : []),
        ...(verdict.internalError ? ['internal error'] : []),
        ...(outcome.rssOver ? [`peak RSS ${(run.maxRssKb / 1024).toFixed(0)} MiB`] : []),
        ...(outcome.positionFound === false ? [`summary does not name ${c.expect!.file}:${c.expect!.line ?? `byte ${c.expect!.offset}`}`] : []),
      ];
      if (why.length > 0) {
        outcome.failure = why.join(', ');
        keep = o.keepFailuresIn !== undefined;
      }
      outcomes.push(outcome);
      o.onCase?.(outcome);
    } finally {
      if (keep) rmSync(join(dir, 'h.db'), { force: true });
      else rmSync(dir, { recursive: true, force: true });
    }
  }
  return summarize(outcomes, (Date.now() - started) / 1000);
}

/** Damaged records the unmutated sample itself counts (connector captures miss a few exec images). */
async function baseline(cli: ProcTreeRunner, repoRoot: string, c: FuzzCase, db: string): Promise<Record<string, number> | undefined> {
  const input = c.target === 'auditd' ? join(repoRoot, 'samples', 'auditd', c.sample, 'logs') : join(repoRoot, 'samples', 'proc-connector', c.sample);
  const run = await cli.run(['ingest', '--db', db, '--json', input], { captureStdout: true });
  return parseSummary(run.stdout)?.skipped;
}

function summarize(outcomes: CaseOutcome[], wallS: number): FuzzResult {
  const byKind = new Map<string, KindTally>();
  for (const { target, kind } of FUZZ_KINDS) {
    byKind.set(`${target}:${kind}`, { target, kind, cases: 0, crashes: 0, internalErrors: 0, rssOver: 0, maxRssKb: 0, damageCounted: 0, positionsExpected: 0, positionsFound: 0, exitCodes: new Map() });
  }
  let maxRssKb = 0;
  for (const o of outcomes) {
    const t = byKind.get(`${o.case.target}:${o.case.kind}`)!;
    t.cases++;
    if (o.crashed) t.crashes++;
    if (o.internalError) t.internalErrors++;
    if (o.rssOver) t.rssOver++;
    if (Number.isFinite(o.maxRssKb)) {
      t.maxRssKb = Math.max(t.maxRssKb, o.maxRssKb);
      maxRssKb = Math.max(maxRssKb, o.maxRssKb);
    }
    if (o.damageCounted) t.damageCounted++;
    if (o.positionFound !== undefined) {
      t.positionsExpected++;
      if (o.positionFound) t.positionsFound++;
    }
    t.exitCodes.set(o.exitCode, (t.exitCodes.get(o.exitCode) ?? 0) + 1);
  }
  return { outcomes, byKind: [...byKind.values()].filter((t) => t.cases > 0), failures: outcomes.filter((o) => o.failure !== undefined), maxRssKb, wallS };
}

/** `0 x12, 3 x4` */
export function exitCodes(t: KindTally): string {
  return [...t.exitCodes].sort((a, b) => a[0] - b[0]).map(([c, n]) => `${c} x${n}`).join(', ');
}

/** The run as a table for people (what `npm run fuzz` prints). */
export function formatFuzzResult(r: FuzzResult, seed: number): string {
  const rows = r.byKind.map((t) =>
    [t.target, t.kind, t.cases, t.crashes, t.internalErrors, (t.maxRssKb / 1024).toFixed(0), `${t.damageCounted}/${t.cases}`, t.positionsExpected ? `${t.positionsFound}/${t.positionsExpected}` : '-', exitCodes(t)].join(' | '),
  );
  const n = r.outcomes.length;
  return [
    'target | mutation | cases | crashes | internal errors | max RSS MiB | damage counted | position named | exit codes',
    ...rows,
    `${n} case(s), seed ${seed}: ${r.outcomes.filter((o) => o.crashed).length} crash(es), ${r.outcomes.filter((o) => o.internalError).length} internal error(s), ${r.outcomes.filter((o) => o.rssOver).length} over ${RSS_LIMIT_KB / 1024} MiB, max peak RSS ${(r.maxRssKb / 1024).toFixed(0)} MiB, ${r.wallS.toFixed(0)} s`,
    ...r.failures.slice(0, 20).map((o) => `FAIL case ${o.case.index} (${o.case.target} / ${o.case.kind}, ${o.case.sample}, ${o.case.detail}): ${o.failure}; replay: npm run fuzz -- --seed ${seed} --only-case ${o.case.index}\n    ${o.stderrTail.trim().split('\n').slice(-3).join('\n    ')}`),
  ].join('\n');
}
