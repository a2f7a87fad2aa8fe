import { join } from 'node:path';
import type { BenchContext } from '../harness/bench-context.js';
import type { BenchInput } from '../harness/bench-inputs.js';
import { measureCommand } from '../harness/measure-command.js';
import type { CommandRun } from '../harness/measure-command.js';
import { databaseBytes, removeDatabase } from '../harness/proc-tree-cli.js';
import { fixed, MiB, si } from '../harness/stats.js';
import type { TextTable } from '../harness/text-table.js';

export interface ScalingPoint {
  factor: number;
  input: Omit<BenchInput, 'origin'>;
  run?: CommandRun;
  linesPerS: number;
  mibPerS: number;
  dbBytes?: number;
  problem?: string;
}

export interface ScalingResult {
  points: ScalingPoint[];
  /** Throughput at the largest size divided by throughput at the smallest (flat = 1). */
  throughputRatio: number;
  /** Peak RSS at the largest size divided by peak RSS at the smallest (bounded = about 1). */
  rssRatio: number;
  /**
   * Lines per second between the two sizes: (lines 10x - lines 1x) / (wall 10x - wall 1x).
   * The fixed start-up cost (node, modules, JIT warm-up, creating the database) cancels out,
   * so this is the steady-state rate; the small log's own rate is dragged down by that cost.
   */
  marginalLinesPerS: number;
}

/**
 * The same generated log at 1x and 10x (the generator is deterministic, so the small log is
 * the start of the large one): ingest throughput should stay flat and peak RSS should not
 * grow with the log.
 */
export async function measureScaling(ctx: BenchContext, inputs: { factor: number; input: BenchInput }[]): Promise<ScalingResult> {
  const points: ScalingPoint[] = [];
  const unavailable = ctx.cli.unavailable('ingest');
  for (const { factor, input } of inputs) {
    const { origin: _o, ...bare } = input;
    if (unavailable !== undefined) {
      points.push({ factor, input: bare, linesPerS: NaN, mibPerS: NaN, problem: unavailable });
      continue;
    }
    const db = join(ctx.scratchDir, `scaling-${factor}x.db`);
    removeDatabase(db);
    await measureCommand(['cat', input.file]);
    ctx.log(`  scaling ${factor}x: proc-tree ingest ${input.file}`);
    const run = await measureCommand(ctx.cli.argv(['ingest', '--db', db, input.file]));
    const point: ScalingPoint = { factor, input: bare, run, linesPerS: input.lines / run.wallS, mibPerS: input.bytes / MiB / run.wallS, dbBytes: databaseBytes(db) };
    if (run.exitCode !== 0) point.problem = `exit ${run.exitCode}: ${run.stderrTail.trim().split('\n').pop() ?? ''}`;
    points.push(point);
    removeDatabase(db);
  }
  const first = points[0];
  const last = points[points.length - 1];
  return {
    points,
    throughputRatio: first && last ? last.linesPerS / first.linesPerS : NaN,
    rssRatio: first?.run && last?.run ? last.run.maxRssKb / first.run.maxRssKb : NaN,
    marginalLinesPerS: first?.run && last?.run ? (last.input.lines - first.input.lines) / (last.run.wallS - first.run.wallS) : NaN,
  };
}

export function scalingTable(s: ScalingResult): TextTable {
  return {
    title: 'Scaling: proc-tree ingest, same generated log at 1x and 10x',
    header: ['size', 'MiB', 'lines', 'wall s', 'lines/s', 'MiB/s', 'peak RSS MiB', 'db MiB'],
    rows: s.points.map((p) => [
      `${p.factor}x`,
      fixed(p.input.bytes / MiB, 0),
      si(p.input.lines),
      p.run ? fixed(p.run.wallS) : '-',
      si(p.linesPerS),
      fixed(p.mibPerS, 1),
      p.run ? fixed(p.run.maxRssKb / 1024, 0) : '-',
      p.dbBytes === undefined ? '-' : fixed(p.dbBytes / MiB, 1),
    ]),
    notes: [
      `throughput 10x/1x = ${fixed(s.throughputRatio)} (flat = 1.00); peak RSS 10x/1x = ${fixed(s.rssRatio)} (bounded = about 1.00)`,
      `steady-state rate between the two sizes (start-up cost cancelled): ${si(s.marginalLinesPerS)} lines/s; 10x average: ${si(s.points[s.points.length - 1]?.linesPerS ?? NaN)} lines/s`,
      ...s.points.filter((p) => p.problem).map((p) => `${p.factor}x: ${p.problem}`),
    ],
  };
}
