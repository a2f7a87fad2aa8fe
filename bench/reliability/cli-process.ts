import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProcTreeCli } from '../harness/proc-tree-cli.js';

const STDERR_TAIL = 16_384;

/** How a CliProcess ended. */
export interface CliExit {
  /** Exit status, or 128 + signal number when a signal ended the CLI. */
  code: number;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit, ms. */
  ms: number;
  /** ru_maxrss of the CLI (GNU time), KiB; NaN when GNU time could not say. */
  maxRssKb: number;
}

/**
 * One `proc-tree` CLI run as a real process of its own, under GNU time (peak RSS), left
 * running while the caller does other things: a writer that others collide with, a follow
 * to stop with Ctrl-C. `pid` is the CLI's own pid (the one a writer lock names), not time's.
 */
export class CliProcess {
  readonly done: Promise<CliExit>;
  private readonly child: ChildProcess;
  private out = '';
  private err = '';
  private cliPid: number | undefined;

  constructor(cli: ProcTreeCli, readonly args: string[], options: { stdin?: 'pipe' | 'ignore' } = {}) {
    const started = Date.now();
    const timeDir = mkdtempSync(join(tmpdir(), 'proc-tree-cli-time-'));
    const timeFile = join(timeDir, 'time.txt');
    this.child = spawn('/usr/bin/time', ['-f', '%M', '-o', timeFile, ...cli.argv(args)], { stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'], cwd: cli.repoRoot });
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => (this.out += d));
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      this.err += d;
      if (this.err.length > 4 * STDERR_TAIL) this.err = this.err.slice(-STDERR_TAIL);
    });
    this.done = new Promise<CliExit>((resolve, reject) => {
      this.child.on('error', reject);
      this.child.on('close', (code) => {
        const lines = existsSync(timeFile) ? readFileSync(timeFile, 'utf8').trim().split('\n') : [];
        rmSync(timeDir, { recursive: true, force: true });
        // GNU time: "Command exited with non-zero status N" / "Command terminated by signal N", then %M.
        const signal = /terminated by signal (\d+)/.exec(lines.join('\n'));
        resolve({
          code: signal ? 128 + Number(signal[1]) : (code ?? 1),
          stdout: this.out,
          stderr: this.err,
          ms: Date.now() - started,
          maxRssKb: Number(lines[lines.length - 1] ?? NaN),
        });
      });
    });
  }

  /** The CLI's pid: GNU time's only child (waits the few ms until time has forked it). */
  async pid(): Promise<number> {
    if (this.cliPid !== undefined) return this.cliPid;
    const time = this.child.pid!;
    await until('GNU time to start the CLI', () => {
      try {
        const children = readFileSync(`/proc/${time}/task/${time}/children`, 'utf8').trim();
        if (children !== '') this.cliPid = Number(children.split(/\s+/)[0]);
      } catch {
        // time has exited already: the caller's done promise says how
        throw new Error(`GNU time (pid ${time}) ended before its child could be seen: ${this.err.trim().split('\n').pop() ?? ''}`);
      }
      return this.cliPid !== undefined;
    });
    return this.cliPid!;
  }

  /** What it printed on stderr so far. */
  stderr(): string {
    return this.err;
  }

  /** Whether it is still running. */
  running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Writes to its stdin (started with stdin 'pipe'); resolves once the pipe took it. */
  write(data: Buffer | string): Promise<void> {
    return new Promise((resolve, reject) => this.child.stdin!.write(data, (e) => (e ? reject(e) : resolve())));
  }

  /** Closes its stdin: end of input. */
  endInput(): void {
    this.child.stdin!.end();
  }

  /** A signal to the CLI itself (SIGINT = Ctrl-C, SIGKILL = kill -9); GNU time reports how it ended. */
  async signal(signal: NodeJS.Signals): Promise<CliExit> {
    process.kill(await this.pid(), signal);
    return this.done;
  }
}

/** Polls `condition` every 25 ms until it holds; throws after `timeoutMs`. */
export async function until(what: string, condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
