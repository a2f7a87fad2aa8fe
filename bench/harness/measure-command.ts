import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What one run of an external command cost. */
export interface CommandRun {
  argv: string[];
  /** Wall time measured here (hrtime), seconds. */
  wallS: number;
  userS: number;
  sysS: number;
  /** Peak resident set of the command (ru_maxrss of the waited child, via GNU time), KiB. */
  maxRssKb: number;
  exitCode: number;
  /** Captured stdout when asked for (small outputs only). */
  stdout: string;
  /** Last few KiB of stderr: summaries and error messages. */
  stderrTail: string;
}

export interface MeasureOptions {
  /** File fed to the command's stdin (laurel reads its input there). */
  stdinFile?: string;
  /** Capture stdout instead of discarding it (keep it small). */
  captureStdout?: boolean;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

const GNU_TIME = '/usr/bin/time';
const STDERR_TAIL = 8192;

/**
 * Runs argv under GNU time, which reports the child's peak RSS from wait4's rusage (the
 * same figure the kernel keeps as VmHWM, but taken at exit so no sampling can miss a peak).
 */
export async function measureCommand(argv: string[], options: MeasureOptions = {}): Promise<CommandRun> {
  if (!existsSync(GNU_TIME)) throw new Error(`${GNU_TIME} not found: install it with 'apt-get install time'`);
  const dir = mkdtempSync(join(tmpdir(), 'proc-tree-bench-time-'));
  const timeFile = join(dir, 'time.txt');
  const stdinFd = options.stdinFile === undefined ? 'ignore' : openSync(options.stdinFile, 'r');
  try {
    const started = process.hrtime.bigint();
    const child = spawn(GNU_TIME, ['-f', '%U %S %M', '-o', timeFile, ...argv], {
      stdio: [stdinFd, options.captureStdout ? 'pipe' : 'ignore', 'pipe'],
      env: options.env ?? process.env,
      cwd: options.cwd,
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (stderr.length > 4 * STDERR_TAIL) stderr = stderr.slice(-STDERR_TAIL);
    });
    const exitCode = await new Promise<number>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => resolve(code ?? (signal === null ? 1 : 128)));
    });
    const wallS = Number(process.hrtime.bigint() - started) / 1e9;
    // GNU time writes "Command exited with non-zero status N" before the format line.
    const lines = existsSync(timeFile) ? readFileSync(timeFile, 'utf8').trim().split('\n') : [];
    const [user, sys, rss] = (lines[lines.length - 1] ?? '').split(' ').map(Number);
    return {
      argv,
      wallS,
      userS: user ?? NaN,
      sysS: sys ?? NaN,
      maxRssKb: rss ?? NaN,
      exitCode,
      stdout,
      stderrTail: stderr.slice(-STDERR_TAIL),
    };
  } finally {
    if (typeof stdinFd === 'number') closeSync(stdinFd);
    rmSync(dir, { recursive: true, force: true });
  }
}
