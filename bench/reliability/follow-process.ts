import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { canonicalDump } from '../../test/ingest/canonical-dump.js';
import type { ProcTreeCli } from '../harness/proc-tree-cli.js';

const STDERR_TAIL = 8192;

/** How one `proc-tree ingest --follow` run ended. */
export interface FollowExit {
  /** Exit status, or 128 + signal number when a signal ended it. */
  exitCode: number;
  signal: NodeJS.Signals | null;
  /** ru_maxrss from GNU time, KiB; NaN when the group was SIGKILLed (time died with it). */
  maxRssKb: number;
  stdout: string;
  stderrTail: string;
}

/**
 * `proc-tree ingest --follow` under GNU time as the leader of its own process group, so
 * that a kill reaches the whole tree (time, the CLI, anything it started) as `kill -9 -PGID`
 * from a shell would.
 */
export class FollowProcess {
  readonly done: Promise<FollowExit>;
  readonly startedAt = Date.now();
  private stderr = '';
  private readonly pid: number;

  constructor(cli: ProcTreeCli, db: string, log: string, tmp: string, extraArgs: string[] = []) {
    const timeDir = mkdtempSync(join(tmp, 'time-'));
    const timeFile = join(timeDir, 'time.txt');
    const args = ['ingest', '--follow', '--json', '--db', db, ...extraArgs, log];
    const child = spawn('/usr/bin/time', ['-f', '%M', '-o', timeFile, ...cli.argv(args)], { stdio: ['ignore', 'pipe', 'pipe'], detached: true, cwd: cli.repoRoot });
    this.pid = child.pid!;
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      this.stderr += d;
      if (this.stderr.length > 4 * STDERR_TAIL) this.stderr = this.stderr.slice(-STDERR_TAIL);
    });
    this.done = new Promise<FollowExit>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => {
        const lines = existsSync(timeFile) ? readFileSync(timeFile, 'utf8').trim().split('\n') : [];
        rmSync(timeDir, { recursive: true, force: true });
        // GNU time reports a child ended by a signal as "Command terminated by signal N" first.
        const rss = signal === null ? Number(lines[lines.length - 1] ?? NaN) : NaN;
        resolve({ exitCode: code ?? 128 + signalNumber(signal), signal, maxRssKb: rss, stdout, stderrTail: this.stderr.slice(-STDERR_TAIL) });
      });
    });
  }

  /** What it printed on stderr so far (the tail). */
  get stderrSoFar(): string {
    return this.stderr;
  }

  /** Whether a process of its tree holds `path` open (read from /proc, whatever it committed). */
  holdsOpen(path: string): boolean {
    const pids = [this.pid];
    for (let i = 0; i < pids.length; i++) {
      const pid = pids[i]!;
      try {
        for (const tid of readdirSync(`/proc/${pid}/task`)) {
          for (const c of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/)) if (c !== '') pids.push(Number(c));
        }
        for (const fd of readdirSync(`/proc/${pid}/fd`)) {
          try {
            if (readlinkSync(`/proc/${pid}/fd/${fd}`) === path) return true;
          } catch {
            // closed meanwhile
          }
        }
      } catch {
        // ended meanwhile
      }
    }
    return false;
  }

  /** SIGKILL to the whole process group; resolves when it is gone. */
  async kill(): Promise<FollowExit> {
    this.signalGroup('SIGKILL');
    return this.done;
  }

  /** SIGINT to the group, as Ctrl-C in its terminal (GNU time ignores it, the CLI stops cleanly). */
  async interrupt(): Promise<FollowExit> {
    this.signalGroup('SIGINT');
    return this.done;
  }

  private signalGroup(signal: NodeJS.Signals): void {
    try {
      process.kill(-this.pid, signal);
    } catch {
      // the group has ended already
    }
  }
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal === 'SIGKILL' ? 9 : signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : signal === 'SIGSEGV' ? 11 : signal === 'SIGABRT' ? 6 : 0;
}

/**
 * What the database says was committed: the registry's rows and how far each stands, and
 * the instances stored. Unchanged across a run = that run committed nothing.
 */
export function commitMark(db: string): string | undefined {
  if (!existsSync(db)) return undefined;
  try {
    const reader = new Database(db, { readonly: true, fileMustExist: true });
    try {
      const sources = reader.prepare('SELECT id, committed_offset, last_ingest_ns FROM sources ORDER BY id').all() as Record<string, unknown>[];
      const instances = (reader.prepare('SELECT count(*) AS n FROM instances').get() as { n: number }).n;
      return JSON.stringify({ sources: sources.map((r) => `${r.id}:${r.committed_offset}:${r.last_ingest_ns}`), instances });
    } finally {
      reader.close();
    }
  } catch {
    return undefined; // created but not migrated yet: nothing committed
  }
}

/** Instances committed to the database (0 when it does not exist or is not migrated yet). */
export function committedInstances(db: string): number {
  const mark = commitMark(db);
  return mark === undefined ? 0 : (JSON.parse(mark) as { instances: number }).instances;
}

/** Registry rows committed to the database (0 when it does not exist or is not migrated yet). */
export function committedSources(db: string): number {
  const mark = commitMark(db);
  return mark === undefined ? 0 : (JSON.parse(mark) as { sources: string[] }).sources.length;
}

/**
 * The canonical dump with file names dropped from evidence: a follow records a generation
 * under the name it had while read (audit.log), a plain ingest of the rotated directory
 * under its final name (audit.log.3.gz); offsets and lines within it must agree.
 */
export function comparableDump(db: string): Record<string, string[]> {
  const dump = canonicalDump(db);
  return Object.fromEntries(Object.entries(dump).map(([k, rows]) => [k, rows.map((r) => r.replace(/[^|]*audit\.log(\.\d+)?(\.gz)?:/g, 'LOG:')).sort()]));
}

/** First difference between two comparable dumps, for a failure note. */
export function firstDifference(a: Record<string, string[]>, b: Record<string, string[]>): string | undefined {
  for (const table of Object.keys(a)) {
    const x = a[table]!;
    const y = b[table] ?? [];
    if (x.length !== y.length) return `${table}: ${x.length} rows vs ${y.length}`;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return `${table}: '${x[i]}' vs '${y[i]}'`;
  }
  return undefined;
}
