import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchContext } from '../harness/bench-context.js';
import type { BenchInput } from '../harness/bench-inputs.js';
import { measureCommand } from '../harness/measure-command.js';
import type { CommandRun } from '../harness/measure-command.js';
import { databaseBytes, removeDatabase } from '../harness/proc-tree-cli.js';
import { fixed, MiB, si } from '../harness/stats.js';
import type { TextTable } from '../harness/text-table.js';

/** One tool's pass over one input. */
export interface ToolResult {
  tool: string;
  /** What was run, for the README and the JSON. */
  command: string;
  run?: CommandRun;
  linesPerS: number;
  mibPerS: number;
  /** Lines per CPU second (user + sys): the one-core figure, whatever the threads. */
  linesPerCpuS: number;
  /** Database (proc-tree) or JSON log (laurel) written. */
  outputBytes?: number;
  /** Why there is no figure, or what went wrong. */
  problem?: string;
  /** What a stage run printed (pipeline-stages.ts JSON: counts by event kind). */
  stageOutput?: unknown;
}

export interface IngestComparison {
  input: Omit<BenchInput, 'origin'>;
  results: ToolResult[];
  /** proc-tree wall throughput divided by each peer's. */
  ratios: Record<string, number>;
}

/** laurel writes where bench/laurel.toml says; the bench owns that directory. */
const LAUREL_DIR = '/tmp/proc-tree-bench-laurel';

/**
 * proc-tree ingest and its peers on the same file in the same run, page cache warm for all.
 * Only the ratios are meaningful on a shared, noisy machine.
 */
export async function compareIngest(ctx: BenchContext, input: BenchInput, withPeers: boolean, withStages = true, peerTools?: readonly string[]): Promise<IngestComparison> {
  /** Peers to run: all of them, or those named (the real-log section skips wc and cat). */
  const wanted = (tool: string): boolean => withPeers && (peerTools === undefined || peerTools.includes(tool));
  const results: ToolResult[] = [];
  const measure = async (tool: string, argv: string[], opts: { stdinFile?: string; okCodes?: number[]; output?: () => number | undefined; before?: () => void } = {}): Promise<ToolResult> => {
    opts.before?.();
    const command = argv.join(' ') + (opts.stdinFile ? ` < ${opts.stdinFile}` : '');
    ctx.log(`  ${tool}: ${command}`);
    const isStage = tool.startsWith('stage:');
    const run = await measureCommand(argv, { stdinFile: opts.stdinFile, captureStdout: isStage });
    const result = toolResult(tool, command, run, input);
    if (isStage && run.exitCode === 0) result.stageOutput = JSON.parse(run.stdout) as unknown;
    if (!(opts.okCodes ?? [0]).includes(run.exitCode)) {
      result.problem = `exit ${run.exitCode}: ${lastLine(run.stderrTail)}`;
    }
    result.outputBytes = opts.output?.();
    results.push(result);
    return result;
  };

  // Warm the page cache so the first tool does not pay for the disk.
  await measureCommand(['cat', input.file]);
  const unavailable = ctx.cli.unavailable('ingest');
  const db = join(ctx.scratchDir, `ingest-${input.label.replace(/[^a-z0-9]+/gi, '-')}.db`);
  if (unavailable === undefined) {
    await measure('proc-tree ingest', ctx.cli.argv(['ingest', '--db', db, input.file]), {
      before: () => removeDatabase(db),
      output: () => databaseBytes(db),
    });
    removeDatabase(db);
  } else {
    results.push({ tool: 'proc-tree ingest', command: 'proc-tree ingest --db DB FILE', linesPerS: NaN, mibPerS: NaN, linesPerCpuS: NaN, problem: unavailable });
  }
  if (withStages) {
    // Where ingest time goes: the same file through the first stages only (see pipeline-stages.ts).
    const stages = join(ctx.repoRoot, 'dist', 'bench', 'stages', 'pipeline-stages.js');
    for (const stage of ['split', 'adapter'] as const) {
      const tool = stage === 'split' ? 'stage: read+split' : 'stage: +auditd adapter';
      if (!existsSync(stages)) results.push(missing(tool, `${stages} missing`));
      else await measure(tool, [process.execPath, stages, '--stage', stage, input.file]);
    }
  }
  if (wanted('laurel')) {
    if (existsSync('/usr/sbin/laurel') || existsSync('/usr/bin/laurel')) {
      await measure('laurel', ['laurel', '-c', join(ctx.repoRoot, 'bench', 'laurel.toml')], {
        stdinFile: input.file,
        before: () => {
          rmSync(LAUREL_DIR, { recursive: true, force: true });
          mkdirSync(LAUREL_DIR, { recursive: true });
        },
        output: () => (existsSync(join(LAUREL_DIR, 'audit.log')) ? statSync(join(LAUREL_DIR, 'audit.log')).size : undefined),
      });
      rmSync(LAUREL_DIR, { recursive: true, force: true });
    } else {
      results.push(missing('laurel', 'laurel not installed (apt-get install laurel)'));
    }
  }
  // ausearch exits 1 when nothing matched; -i interprets every record (what a responder runs).
  if (wanted('ausearch -i')) await measure('ausearch -i', ['ausearch', '-i', '-if', input.file], { okCodes: [0, 1] });
  if (wanted('wc -l')) await measure('wc -l', ['wc', '-l', input.file]);
  if (wanted('cat')) await measure('cat', ['cat', input.file]);
  const mine = results.find((r) => r.tool === 'proc-tree ingest');
  const ratios: Record<string, number> = {};
  for (const r of results) if (mine !== undefined && r !== mine && !r.tool.startsWith('stage:')) ratios[r.tool] = mine.linesPerS / r.linesPerS;
  const { origin: _origin, ...bare } = input;
  return { input: bare, results, ratios };
}

/** The adapter's event counts next to the generator's truth: a cheap sanity check at scale. */
function adapterVersusTruth(c: IngestComparison): string | undefined {
  const stage = c.results.find((r) => r.tool === 'stage: +auditd adapter')?.stageOutput as
    | { adapterStats?: { events: Record<string, number>; skipped: Record<string, number> } }
    | undefined;
  const events = stage?.adapterStats?.events;
  if (events === undefined) return undefined;
  const skipped = Object.entries(stage?.adapterStats?.skipped ?? {}).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  let line = `adapter events: fork ${events.fork ?? 0}, exec ${events.exec ?? 0}, exit ${events.exit ?? 0}, observed ${events.observed ?? 0}, loss ${events.loss ?? 0}; skipped: ${skipped}`;
  const t = c.input.truth;
  if (t) line += ` | generator: processes ${t.processes}, threads ${t.threads}, execs ${t.execs}, exits ${t.exits} (+${t.killed} killed silently)`;
  return line;
}

function toolResult(tool: string, command: string, run: CommandRun, input: BenchInput): ToolResult {
  const cpu = run.userS + run.sysS;
  return {
    tool,
    command,
    run,
    linesPerS: input.lines / run.wallS,
    mibPerS: input.bytes / MiB / run.wallS,
    linesPerCpuS: cpu > 0 ? input.lines / cpu : NaN,
  };
}

function missing(tool: string, problem: string): ToolResult {
  return { tool, command: '', linesPerS: NaN, mibPerS: NaN, linesPerCpuS: NaN, problem };
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return (lines[lines.length - 1] ?? '').slice(0, 200);
}

export function ingestTable(c: IngestComparison): TextTable {
  const rows = c.results.map((r) => [
    r.tool,
    r.run ? fixed(r.run.wallS) : '-',
    si(r.linesPerS),
    fixed(r.mibPerS, 1),
    si(r.linesPerCpuS),
    r.run ? fixed(r.run.maxRssKb / 1024, 0) : '-',
    r.outputBytes === undefined ? '-' : fixed(r.outputBytes / MiB, 1),
    r.tool === 'proc-tree ingest' || r.tool.startsWith('stage:') ? '' : ratioText(c.ratios[r.tool]),
  ]);
  const notes = c.results.filter((r) => r.problem !== undefined).map((r) => `${r.tool}: ${r.problem}`);
  const mine = c.results.find((r) => r.tool === 'proc-tree ingest');
  const summary = mine?.run ? ingestSummaryLine(mine.run.stderrTail) : undefined;
  if (summary) notes.push(`proc-tree said: ${summary}`);
  const sanity = adapterVersusTruth(c);
  if (sanity) notes.push(sanity);
  return {
    title: `Ingest: ${c.input.label} (${fixed(c.input.bytes / MiB, 1)} MiB, ${si(c.input.lines)} lines)`,
    header: ['tool', 'wall s', 'lines/s', 'MiB/s', 'lines/CPU-s', 'peak RSS MiB', 'output MiB', 'proc-tree vs tool'],
    rows,
    notes,
  };
}

function ratioText(ratio: number | undefined): string {
  if (ratio === undefined || !Number.isFinite(ratio)) return '-';
  return `${ratio.toFixed(2)}x`;
}

/** The ingest command's own summary (its last stderr lines), shortened for the table notes. */
function ingestSummaryLine(stderr: string): string | undefined {
  const text = stderr.trim();
  if (text === '') return undefined;
  return text.split('\n').slice(-3).join(' | ').slice(0, 300);
}
