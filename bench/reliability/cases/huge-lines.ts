import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { RowTally } from '../judge-run.js';
import { ProcTreeRunner } from '../proc-tree-runner.js';
import type { ReliabilityCaseOptions, ReliabilityRow } from '../reliability-row.js';
import { dumpWithoutEvidence } from './big-zip.js';

/** Two real captures: the huge line goes between them. */
export const BEFORE_LOG = 'samples/auditd/daemon-double-fork/logs/audit.log';
export const AFTER_LOG = 'samples/auditd/exec-chain/logs/audit.log';
/** Issue 11: "a gzip bomb (2 GB of zeros ...)" and "100 MB lines". */
export const BOMB_BYTES = 2 * 2 ** 30;
export const LONG_LINE_BYTES = 100 * 10 ** 6;

export interface HugeLineResult {
  /** The input file (a .gz for the bomb) and its size on disk. */
  file: string;
  fileBytes: number;
  /** Bytes of the huge line (content, decompressed). */
  lineBytes: number;
  tally: RowTally;
  exitCode: number;
  wallS: number;
  rssMiB: number;
  /** The same two captures without the huge line, ingested the same way (parse worker). */
  controlRssMiB: number;
  /** 'oversized-line 1 (at FILE:N)' found in the summary. */
  skippedWithPosition: boolean;
  /** The history equals the control's (evidence positions aside: the huge line shifts them). */
  restIngested: boolean;
}

/**
 * BEFORE_LOG, then one line of `lineBytes` (NUL bytes for the bomb, a PROCTITLE record
 * with a hex value for the long line), then AFTER_LOG. The bomb is compressed by streaming
 * through `gzip -9`: the 2 GiB never exist on disk or in memory.
 */
export function writeHugeLineInput(repoRoot: string, dir: string, kind: 'bomb' | 'long-line', lineBytes: number): { file: string; control: string } {
  const before = join(repoRoot, BEFORE_LOG);
  const after = join(repoRoot, AFTER_LOG);
  const control = join(dir, `control-${kind}.log`);
  execFileSync('bash', ['-c', 'cat "$1" "$2" > "$3"', '-', before, after, control]);
  if (kind === 'bomb') {
    const file = join(dir, 'bomb.log.gz');
    execFileSync('bash', ['-c', 'set -o pipefail; { cat "$1"; head -c "$3" /dev/zero; echo; cat "$2"; } | gzip -9 > "$4"', '-', before, after, String(lineBytes), file]);
    return { file, control };
  }
  const file = join(dir, 'long-line.log');
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, readFileSync(before));
    const prefix = 'type=PROCTITLE msg=audit(1795589311.999:999999): proctitle=';
    writeSync(fd, prefix);
    const hex = Buffer.alloc(1 << 20, '2F');
    for (let left = lineBytes - prefix.length; left > 0; left -= hex.length) writeSync(fd, hex, 0, Math.min(left, hex.length));
    writeSync(fd, '\n');
    writeSync(fd, readFileSync(after));
  } finally {
    closeSync(fd);
  }
  return { file, control };
}

export async function tryHugeLine(repoRoot: string, dir: string, kind: 'bomb' | 'long-line', lineBytes: number): Promise<HugeLineResult> {
  const cli = new ProcTreeRunner(repoRoot);
  const { file, control } = writeHugeLineInput(repoRoot, dir, kind, lineBytes);
  // Both runs parse in the worker thread (the huge input would pick it anyway): like for like.
  const env = { ...process.env, PROC_TREE_PARSE_IN: 'worker' };
  const tally = new RowTally();
  const db = join(dir, `${kind}.db`);
  const r = await cli.run(['ingest', '--db', db, file], { env });
  tally.add(r, kind);
  const controlDb = join(dir, `control-${kind}.db`);
  const c = await cli.run(['ingest', '--db', controlDb, control], { env });
  if (c.exitCode !== 0) throw new Error(`control ingest: exit ${c.exitCode}: ${c.stderrTail}`);
  const name = file.split('/').pop()!;
  return {
    file,
    fileBytes: statSync(file).size,
    lineBytes,
    tally,
    exitCode: r.exitCode,
    wallS: r.wallS,
    rssMiB: r.maxRssKb / 1024,
    controlRssMiB: c.maxRssKb / 1024,
    skippedWithPosition: new RegExp(`oversized-line 1 \\(at [^)]*${name.replace(/\./g, '\\.')}:\\d+\\)`).test(r.stderrTail),
    restIngested: JSON.stringify(dumpWithoutEvidence(db, file)) === JSON.stringify(dumpWithoutEvidence(controlDb, control)),
  };
}

/** What is wrong with a run, or undefined: exit 0, the line counted with its position, the rest stored, memory independent of the line. */
export function hugeLineProblem(r: HugeLineResult): string | undefined {
  if (r.tally.crashes > 0 || r.tally.internalErrors > 0) return `crash or internal error: ${r.tally.failures.join('; ')}`;
  if (r.exitCode !== 0) return `exit ${r.exitCode}`;
  if (!r.skippedWithPosition) return 'the huge line is not counted as an oversized-line with its position';
  if (!r.restIngested) return 'the captures around the huge line are not stored as without it';
  // A line held in memory would cost at least its own size once more (Buffer + string).
  if (r.rssMiB - r.controlRssMiB > RSS_MARGIN_MIB) return `peak RSS ${r.rssMiB.toFixed(0)} MiB, ${(r.rssMiB - r.controlRssMiB).toFixed(0)} MiB above the same captures without the line`;
  return undefined;
}

/**
 * Allowed peak RSS above the control run: well below the 100 MB of the smallest huge line.
 * Measured after 5746679 (which streamed the .gz content head: it had inflated a bomb's
 * first 64 KiB to 64 MiB twice over, 207 MiB peak): +40-45 MiB for both huge inputs, heap
 * ~12 MiB, the rest dead read and inflate buffers (1 MiB reads, 16 KiB gunzip pieces)
 * waiting for a GC, which V8 runs on external-memory pressure only; a 256 MiB plain line
 * of one byte value costs +15 MiB inline. None of it grows with the line.
 */
export const RSS_MARGIN_MIB = 64;

/** A gzip bomb (2 GiB of NULs as one line) and a 100 MB line between two real captures. */
export async function run(o: ReliabilityCaseOptions): Promise<ReliabilityRow[]> {
  const rows: ReliabilityRow[] = [];
  for (const kind of ['bomb', 'long-line'] as const) {
    const bytes = kind === 'bomb' ? (o.quick ? 256 * 2 ** 20 : BOMB_BYTES) : LONG_LINE_BYTES;
    const r = await tryHugeLine(o.repoRoot, o.workDir, kind, bytes);
    const problem = hugeLineProblem(r);
    rows.push({
      category: 'huge input',
      case:
        kind === 'bomb'
          ? `gzip bomb: ${BEFORE_LOG}, ${(bytes / 2 ** 30).toFixed(2)} GiB of NUL bytes and a newline, ${AFTER_LOG}, through gzip -9 (${(r.fileBytes / 1e6).toFixed(1)} MB)`
          : `a ${(bytes / 1e6).toFixed(0)} MB line (a PROCTITLE record) between ${BEFORE_LOG} and ${AFTER_LOG}`,
      inputsTried: r.tally.inputsTried,
      crashes: r.tally.crashes,
      internalErrors: r.tally.internalErrors,
      maxPeakRssMiB: r.tally.maxPeakRssMiB,
      dumpsIdentical: r.restIngested,
      command: 'npm run reliability -- --only huge-lines',
      notes:
        `${r.tally.exitSummary()}; ${(r.lineBytes / r.wallS / 1e6).toFixed(0)} MB/s (${r.wallS.toFixed(1)} s); peak RSS ${r.rssMiB.toFixed(0)} MiB vs ${r.controlRssMiB.toFixed(0)} MiB for the two captures alone (margin allowed ${RSS_MARGIN_MIB}); ` +
        `the line counted as oversized-line with its position: ${r.skippedWithPosition ? 'yes' : 'NO'}; history equals the captures' without it (evidence positions aside): ${r.restIngested ? 'yes' : 'NO'}` +
        (problem !== undefined ? `; FAILED: ${problem}` : ''),
    });
  }
  return rows;
}
