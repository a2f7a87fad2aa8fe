import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchContext } from '../harness/bench-context.js';
import { realInput } from '../harness/bench-inputs.js';
import type { BenchInput } from '../harness/bench-inputs.js';
import { measureCommand } from '../harness/measure-command.js';
import { removeDatabase } from '../harness/proc-tree-cli.js';
import { fixed, MiB, si } from '../harness/stats.js';
import type { TextTable } from '../harness/text-table.js';
import { compareIngest } from './ingest-section.js';
import type { IngestComparison, ToolResult } from './ingest-section.js';

/** The issue-14 yardstick: what a real log must reach, per CPU-second so a second core hides nothing. */
export const REAL_LOG_TARGETS = {
  minLogBytes: 200 * 1e6,
  linesPerCpuS: 600_000,
  moonshotLinesPerCpuS: 1_000_000,
  cpuVsLaurel: 4,
  wallVsLaurel: 8,
  peakRssMiB: 256,
} as const;

/**
 * laurel 0.5 spends ~90% of its time on EXECVE records of long argument lists (the
 * workload's `true $(seq 400)` and 9 kB argument: 280 of 20,000 lines take 10x the CPU of the
 * rest). The same log without records of this many bytes shows the ratio without that path.
 */
export const LONG_RECORD_BYTES = 1000;

export interface RealLogOptions {
  /** Directory holding (or to receive) the recording: audit.log, audit.log.N, RECORDED.txt. */
  dir: string;
  /** Record when the directory holds no log (needs root and auditd). */
  record: boolean;
  recordSeconds: number;
  peers: boolean;
  /** Root of another built checkout whose ingest runs on the same log too (before/after in one run). */
  beforeBuild?: string;
}

/** One proc-tree figure next to its peers', per CPU-second and per wall-second. */
export interface RealLogFigures {
  lines: number;
  bytes: number;
  cpuS: number;
  wallS: number;
  peakRssMiB: number;
  linesPerCpuS: number;
  linesPerWallS: number;
  /** Peer CPU-s / proc-tree CPU-s, and the same for wall time (x times faster). */
  cpuRatio: Record<string, number>;
  wallRatio: Record<string, number>;
}

export interface TargetRow {
  target: string;
  measured: string;
  met: boolean | undefined;
}

export interface RealLogResult {
  dir: string;
  recordedNow: boolean;
  origin?: unknown;
  comparison?: IngestComparison;
  figures?: RealLogFigures;
  /** proc-tree and laurel on the log without records of LONG_RECORD_BYTES or more. */
  shortRecords?: IngestComparison;
  shortFigures?: RealLogFigures;
  targets: TargetRow[];
  problem?: string;
}

const PEERS = ['laurel', 'ausearch -i'] as const;

/**
 * Records (once) or reuses a real auditd log and measures proc-tree ingest against laurel and
 * `ausearch -i` on it in the same run: the figures the README quotes.
 */
export async function measureRealLog(ctx: BenchContext, options: RealLogOptions): Promise<RealLogResult> {
  let recordedNow = false;
  if (!existsSync(join(options.dir, 'audit.log'))) {
    if (!options.record) return { dir: options.dir, recordedNow, targets: [], problem: `no real log in ${options.dir} and --no-record given` };
    const problem = record(ctx, options);
    if (problem !== undefined) return { dir: options.dir, recordedNow, targets: [], problem };
    recordedNow = true;
  }
  const input = await realInput(options.dir, `real ENRICHED (${options.dir})`);
  if (input === undefined) return { dir: options.dir, recordedNow, targets: [], problem: `no audit.log in ${options.dir}` };
  ctx.log(`real log: ${input.lines} lines, ${fixed(input.bytes / MiB, 1)} MiB in ${input.file}`);
  const comparison = await compareIngest(ctx, input, options.peers, false, PEERS);
  if (options.beforeBuild !== undefined) await measureBeforeBuild(ctx, options.beforeBuild, input, comparison);
  const figures = figuresOf(comparison, input);
  const result: RealLogResult = { dir: options.dir, recordedNow, origin: input.origin, comparison, targets: targetRows(input, figures) };
  if (figures) result.figures = figures;
  if (options.peers) {
    const short = await shortRecordsInput(input);
    ctx.log(`same log without records of ${LONG_RECORD_BYTES}+ bytes: ${short.lines} lines`);
    result.shortRecords = await compareIngest(ctx, short, true, false, ['laurel']);
    const sf = figuresOf(result.shortRecords, short);
    if (sf) {
      result.shortFigures = sf;
      const x = sf.cpuRatio.laurel;
      result.targets.push({ target: `(info) laurel per CPU-s, records < ${LONG_RECORD_BYTES} B`, measured: x === undefined ? 'not measured' : `${x.toFixed(2)}x`, met: x === undefined ? undefined : x >= REAL_LOG_TARGETS.cpuVsLaurel });
    }
  }
  return result;
}

/** The other build's `proc-tree ingest` on the same log, as one more row (its figure is not a peer's). */
async function measureBeforeBuild(ctx: BenchContext, root: string, input: BenchInput, c: IngestComparison): Promise<void> {
  const main = join(root, 'dist', 'src', 'cli', 'main.js');
  const tool = `proc-tree ingest, build ${root}`;
  if (!existsSync(main)) {
    c.results.push({ tool, command: '', linesPerS: NaN, mibPerS: NaN, linesPerCpuS: NaN, problem: `${main} missing` });
    return;
  }
  const db = join(ctx.scratchDir, 'before-build.db');
  removeDatabase(db);
  const argv = [process.execPath, main, 'ingest', '--db', db, input.file];
  ctx.log(`  ${tool}: ${argv.join(' ')}`);
  const run = await measureCommand(argv);
  removeDatabase(db);
  const cpu = run.userS + run.sysS;
  const result: ToolResult = { tool, command: argv.join(' '), run, linesPerS: input.lines / run.wallS, mibPerS: input.bytes / MiB / run.wallS, linesPerCpuS: input.lines / cpu };
  if (run.exitCode !== 0) result.problem = `exit ${run.exitCode}`;
  c.results.push(result);
}

/** DIR/short-records.log: the input's lines shorter than LONG_RECORD_BYTES, made once per input. */
async function shortRecordsInput(input: BenchInput): Promise<BenchInput> {
  const file = join(input.file, '..', 'short-records.log');
  if (!existsSync(file) || statSync(file).mtimeMs < statSync(input.file).mtimeMs) {
    const out = createWriteStream(file);
    let carry: Buffer = Buffer.alloc(0);
    const keep = (line: Buffer): void => {
      if (line.length < LONG_RECORD_BYTES) out.write(line);
    };
    for await (const chunk of createReadStream(input.file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      let from = 0;
      const data = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
      for (let nl = data.indexOf(10); nl !== -1; nl = data.indexOf(10, from)) {
        keep(data.subarray(from, nl + 1));
        from = nl + 1;
      }
      carry = Buffer.from(data.subarray(from));
    }
    if (carry.length > 0) keep(carry);
    await new Promise<void>((resolve) => out.end(resolve));
  }
  let lines = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
  }
  return { label: `${input.label}, records < ${LONG_RECORD_BYTES} B`, file, bytes: statSync(file).size, lines, origin: `${input.file} without lines of ${LONG_RECORD_BYTES}+ bytes` };
}

function record(ctx: BenchContext, options: RealLogOptions): string | undefined {
  if (process.getuid?.() !== 0) return `no real log in ${options.dir}: recording one needs root (sudo bench/record-real-audit-log.sh --seconds ${options.recordSeconds} --format enriched --rotate-mb 80 --out ${options.dir}), or pass --no-record`;
  const script = join(ctx.repoRoot, 'bench', 'record-real-audit-log.sh');
  ctx.log(`recording a real log for ${options.recordSeconds} s into ${options.dir} (auditd under a fork/exec workload) ...`);
  const run = spawnSync('bash', [script, '--seconds', String(options.recordSeconds), '--format', 'enriched', '--rotate-mb', '80', '--out', options.dir], { stdio: ['ignore', 'inherit', 'inherit'] });
  return run.status === 0 ? undefined : `recording failed (exit ${String(run.status)}): see the messages above`;
}

function figuresOf(c: IngestComparison, input: BenchInput): RealLogFigures | undefined {
  const mine = c.results.find((r) => r.tool === 'proc-tree ingest');
  if (mine?.run === undefined || mine.problem !== undefined) return undefined;
  const cpu = (r: ToolResult): number => (r.run ? r.run.userS + r.run.sysS : NaN);
  const cpuS = cpu(mine);
  const cpuRatio: Record<string, number> = {};
  const wallRatio: Record<string, number> = {};
  for (const r of c.results) {
    if (r === mine || r.run === undefined || r.problem !== undefined) continue;
    cpuRatio[r.tool] = cpu(r) / cpuS;
    wallRatio[r.tool] = r.run.wallS / mine.run.wallS;
  }
  return {
    lines: input.lines,
    bytes: input.bytes,
    cpuS,
    wallS: mine.run.wallS,
    peakRssMiB: mine.run.maxRssKb / 1024,
    linesPerCpuS: input.lines / cpuS,
    linesPerWallS: input.lines / mine.run.wallS,
    cpuRatio,
    wallRatio,
  };
}

function targetRows(input: BenchInput, f: RealLogFigures | undefined): TargetRow[] {
  const T = REAL_LOG_TARGETS;
  const ratio = (x: number | undefined): string => (x === undefined ? 'not measured' : `${x.toFixed(2)}x`);
  const atLeast = (x: number | undefined, goal: number): boolean | undefined => (x === undefined || !Number.isFinite(x) ? undefined : x >= goal);
  const rows: TargetRow[] = [{ target: `real log >= ${T.minLogBytes / 1e6} MB`, measured: `${fixed(input.bytes / 1e6, 0)} MB, ${si(input.lines)} lines`, met: input.bytes >= T.minLogBytes }];
  rows.push(
    { target: `>= ${si(T.linesPerCpuS)} lines/CPU-s`, measured: f ? si(f.linesPerCpuS) : '-', met: atLeast(f?.linesPerCpuS, T.linesPerCpuS) },
    { target: `moonshot >= ${si(T.moonshotLinesPerCpuS)} lines/CPU-s`, measured: f ? si(f.linesPerCpuS) : '-', met: atLeast(f?.linesPerCpuS, T.moonshotLinesPerCpuS) },
    { target: `>= ${T.cpuVsLaurel}x laurel per CPU-s`, measured: ratio(f?.cpuRatio.laurel), met: atLeast(f?.cpuRatio.laurel, T.cpuVsLaurel) },
    { target: `>= ${T.wallVsLaurel}x laurel wall (2 cores)`, measured: ratio(f?.wallRatio.laurel), met: atLeast(f?.wallRatio.laurel, T.wallVsLaurel) },
    { target: `peak RSS <= ${T.peakRssMiB} MiB`, measured: f ? `${fixed(f.peakRssMiB, 0)} MiB` : '-', met: f ? f.peakRssMiB <= T.peakRssMiB : undefined },
  );
  return rows;
}

/** The per-tool table (CPU-s and wall beside each other) and the targets with met / not met. */
export function realLogTables(r: RealLogResult): TextTable[] {
  if (r.comparison === undefined) return [{ title: `Real log (${r.dir})`, header: ['problem'], rows: [[r.problem ?? 'not measured']] }];
  const c = r.comparison;
  const f = r.figures;
  const mine = c.results.find((t) => t.tool === 'proc-tree ingest');
  const rows = c.results.map((t) => {
    const cpu = t.run ? t.run.userS + t.run.sysS : NaN;
    const isMine = t === mine;
    return [
      t.tool,
      fixed(cpu),
      t.run ? fixed(t.run.wallS) : '-',
      si(t.linesPerCpuS),
      si(t.linesPerS),
      t.run ? fixed(t.run.maxRssKb / 1024, 0) : '-',
      isMine || f?.cpuRatio[t.tool] === undefined ? '' : `${f.cpuRatio[t.tool]!.toFixed(2)}x`,
      isMine || f?.wallRatio[t.tool] === undefined ? '' : `${f.wallRatio[t.tool]!.toFixed(2)}x`,
    ];
  });
  const sc = r.shortRecords;
  const sf = r.shortFigures;
  if (sc !== undefined) {
    for (const t of sc.results) {
      const cpu = t.run ? t.run.userS + t.run.sysS : NaN;
      const isMine = t.tool === 'proc-tree ingest';
      rows.push([
        `${t.tool}, records < ${LONG_RECORD_BYTES} B`,
        fixed(cpu),
        t.run ? fixed(t.run.wallS) : '-',
        si(t.linesPerCpuS),
        si(t.linesPerS),
        t.run ? fixed(t.run.maxRssKb / 1024, 0) : '-',
        isMine || sf?.cpuRatio[t.tool] === undefined ? '' : `${sf.cpuRatio[t.tool]!.toFixed(2)}x`,
        isMine || sf?.wallRatio[t.tool] === undefined ? '' : `${sf.wallRatio[t.tool]!.toFixed(2)}x`,
      ]);
    }
  }
  const notes = [...c.results, ...(sc?.results ?? [])].filter((t) => t.problem !== undefined).map((t) => `${t.tool}: ${t.problem}`);
  if (sc !== undefined) notes.push(`records < ${LONG_RECORD_BYTES} B: ${fixed(sc.input.bytes / MiB, 1)} MiB, ${si(sc.input.lines)} lines; laurel 0.5 spends most of its time on long EXECVE records, so its ratio is shown both ways`);
  const recorded = typeof r.origin === 'string' ? r.origin.split('\n')[0] : undefined;
  if (recorded) notes.push(`${r.recordedNow ? 'recorded now' : 'reused'}: ${recorded}`);
  notes.push('proc-tree vs tool: the tool\'s CPU-s (user+sys) or wall s divided by proc-tree\'s (higher is better for proc-tree)');
  const measured: TextTable = {
    title: `Real log: ${c.input.label} (${fixed(c.input.bytes / MiB, 1)} MiB, ${si(c.input.lines)} lines)`,
    header: ['tool', 'CPU s', 'wall s', 'lines/CPU-s', 'lines/wall-s', 'peak RSS MiB', 'vs tool CPU', 'vs tool wall'],
    rows,
    notes,
  };
  const targets: TextTable = {
    title: 'Real log targets (issue 14)',
    header: ['target', 'measured', 'met'],
    rows: r.targets.map((t) => [t.target, t.measured, t.met === undefined ? 'not measured' : t.met ? 'met' : 'NOT MET']),
  };
  return [measured, targets];
}
