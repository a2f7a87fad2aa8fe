import type { CommandRun } from '../harness/measure-command.js';

/**
 * Exit statuses the CLI documents (README, `--help`): 0 done, 1 nothing done / cannot open,
 * 2 wrong invocation, 3 partial input, 74 disk full (EX_IOERR), 75 database held by another
 * writer (EX_TEMPFAIL). Anything else, or an end by a signal, is a crash.
 */
export const DOCUMENTED_EXIT_CODES: ReadonlySet<number> = new Set([0, 1, 2, 3, 74, 75]);

/**
 * A plain ingest stopped by SIGINT / SIGTERM ends with 130 / 143 after committing (ingest
 * --help): documented, but only expected from a run the case stopped itself (`stopped`).
 */
export const STOPPED_EXIT_CODES: ReadonlySet<number> = new Set([130, 143]);

/** A V8 stack frame line: `    at fn (file.js:12:34)` or `    at file.js:12:34`. */
const STACK_FRAME = /^\s+at .+:\d+:\d+\)?$/m;

export interface RunVerdict {
  crashed: boolean;
  internalError: boolean;
}

/** Whether one CLI run crashed or showed an internal error (see the page's preamble). */
export function judgeRun(run: Pick<CommandRun, 'exitCode' | 'stderrTail'>, stopped = false): RunVerdict {
  return {
    crashed: !(DOCUMENTED_EXIT_CODES.has(run.exitCode) || (stopped && STOPPED_EXIT_CODES.has(run.exitCode))),
    internalError: run.stderrTail.includes('internal error') || STACK_FRAME.test(run.stderrTail),
  };
}

/** Accumulates the runs of one table row. */
export class RowTally {
  inputsTried = 0;
  crashes = 0;
  internalErrors = 0;
  maxPeakRssKb = 0;
  readonly exitCodes = new Map<number, number>();
  /** The first few bad runs, to say in the notes what went wrong. */
  readonly failures: string[] = [];

  add(run: CommandRun, label: string): RunVerdict {
    const verdict = judgeRun(run);
    this.inputsTried++;
    if (verdict.crashed) this.crashes++;
    if (verdict.internalError) this.internalErrors++;
    if (Number.isFinite(run.maxRssKb)) this.maxPeakRssKb = Math.max(this.maxPeakRssKb, run.maxRssKb);
    this.exitCodes.set(run.exitCode, (this.exitCodes.get(run.exitCode) ?? 0) + 1);
    if ((verdict.crashed || verdict.internalError) && this.failures.length < 3) {
      this.failures.push(`${label}: exit ${run.exitCode}: ${lastLine(run.stderrTail)}`);
    }
    return verdict;
  }

  get maxPeakRssMiB(): number {
    return this.maxPeakRssKb / 1024;
  }

  /** `exit 0 x12, 3 x4` */
  exitSummary(): string {
    return `exit ${[...this.exitCodes].sort((a, b) => a[0] - b[0]).map(([c, n]) => `${c} x${n}`).join(', ')}`;
  }
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  const i = lines.findIndex((l) => l.includes('internal error') || STACK_FRAME.test(l));
  return (i >= 0 ? lines.slice(i, i + 3).join(' / ') : lines[lines.length - 1] ?? '').slice(0, 200);
}
