import { closeSync, existsSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchContext } from '../harness/bench-context.js';
import { measureCommand } from '../harness/measure-command.js';
import type { CommandRun } from '../harness/measure-command.js';
import { fixed, MiB, si } from '../harness/stats.js';
import type { TextTable } from '../harness/text-table.js';
import type { QueryDatabase } from './queries-section.js';

/**
 * `export` and `enrich` on the query database (the 1,000,000-instance bench history of the
 * queries section): records per second (per CPU-second and per wall-second) and peak RSS,
 * output to /dev/null so the disk does not set the pace. Export streams the whole history
 * in each format. Enrich gets the first `enrichMb` MiB of the log the database was built
 * from, with `--no-ingest`: every event then finds its process among the million instances
 * (the whole log would take long at enrich's rate; its cost is per event, so a slice tells it).
 */
export interface ExportEnrichRow {
  command: string;
  /** Records (export) or events (enrich) written, from the command's own count on stderr. */
  records: number;
  run: CommandRun;
}

export interface ExportEnrichResult {
  instances: number;
  sliceBytes?: number;
  sliceLines?: number;
  rows: ExportEnrichRow[];
  problems: string[];
}

const COUNT = /(?:exported|enriched) (\d+) (?:record|event)/;

export async function measureExportEnrich(ctx: BenchContext, qdb: QueryDatabase, enrichMb: number): Promise<ExportEnrichResult> {
  const result: ExportEnrichResult = { instances: qdb.instances, rows: [], problems: [] };
  const run = async (args: string[], shown = (a: string) => a): Promise<void> => {
    const command = args[0]!;
    const unavailable = ctx.cli.unavailable(command);
    if (unavailable !== undefined) {
      result.problems.push(`${command}: ${unavailable}`);
      return;
    }
    ctx.log(`  proc-tree ${args.join(' ')}`);
    const r = await measureCommand(ctx.cli.argv(args), { captureStdout: false });
    const count = COUNT.exec(r.stderrTail);
    if (r.exitCode !== 0 || count === null) result.problems.push(`${args.slice(0, 3).join(' ')}: exit ${r.exitCode}: ${r.stderrTail.trim().split('\n').pop() ?? ''}`);
    result.rows.push({ command: `proc-tree ${args.filter((a) => a !== qdb.db).map(shown).join(' ').replace(' --db', '')}`, records: count === null ? 0 : Number(count[1]), run: r });
  };
  for (const format of ['ecs', 'timesketch', 'csv']) await run(['export', '--db', qdb.db, '--format', format, '-o', '/dev/null']);
  const slice = logSlice(ctx, qdb, enrichMb);
  result.sliceBytes = slice.bytes;
  result.sliceLines = slice.lines;
  const sliceName = `FIRST-${enrichMb}MiB.log`;
  for (const format of ['ndjson', 'ecs']) await run(['enrich', slice.file, '--db', qdb.db, '--no-ingest', '--format', format, '-o', '/dev/null'], (a) => (a === slice.file ? sliceName : a));
  return result;
}

/** The first `mb` MiB of the query log, cut after a whole line (cached beside it). */
function logSlice(ctx: BenchContext, qdb: QueryDatabase, mb: number): { file: string; bytes: number; lines: number } {
  const file = join(ctx.dataDir, `query-log-${qdb.instances}-first-${mb}mb.log`);
  const want = Math.min(Math.round(mb * MiB), statSync(qdb.logFile).size);
  if (!existsSync(file)) {
    const buf = Buffer.alloc(want);
    const fd = openSync(qdb.logFile, 'r');
    let got = 0;
    try {
      while (got < want) {
        const n = readSync(fd, buf, got, want - got, got);
        if (n === 0) break;
        got += n;
      }
    } finally {
      closeSync(fd);
    }
    writeFileSync(file, buf.subarray(0, buf.lastIndexOf(0x0a, got - 1) + 1));
  }
  const text = statSync(file).size;
  let lines = 0;
  const fd = openSync(file, 'r');
  const chunk = Buffer.alloc(MiB);
  try {
    for (let n = readSync(fd, chunk); n > 0; n = readSync(fd, chunk)) for (let i = 0; i < n; i++) if (chunk[i] === 0x0a) lines++;
  } finally {
    closeSync(fd);
  }
  return { file, bytes: text, lines };
}

export function exportEnrichTable(r: ExportEnrichResult): TextTable {
  const rows = r.rows.map((row) => {
    const cpu = row.run.userS + row.run.sysS;
    return [
      row.command,
      si(row.records),
      fixed(row.run.wallS, 1),
      fixed(cpu, 1),
      si(cpu > 0 ? row.records / cpu : 0),
      si(row.run.wallS > 0 ? row.records / row.run.wallS : 0),
      fixed(row.run.maxRssKb / 1024, 0),
    ];
  });
  const notes = [`history: the queries section's database, ${si(r.instances)} process instances; output to /dev/null`];
  if (r.sliceBytes !== undefined) notes.push(`enrich input FIRST-*MiB.log: the first ${fixed(r.sliceBytes / MiB, 0)} MiB (${si(r.sliceLines ?? 0)} lines) of the log that database was built from, --no-ingest`);
  notes.push(...r.problems);
  return { title: `Export and enrich on the ${si(r.instances)}-instance history`, header: ['command', 'records', 'wall s', 'CPU s', 'rec/CPU-s', 'rec/wall-s', 'peak RSS MiB'], rows, notes };
}
