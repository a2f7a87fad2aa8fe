import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { canonicalDump } from '../../test/ingest/canonical-dump.js';
import { ProcTreeCli } from '../harness/proc-tree-cli.js';
import { SeededRandom } from '../synth/seeded-random.js';
import { judgeRun } from './judge-run.js';

/** One CLI run that may be SIGKILLed (with its whole process group) after a delay. */
export interface KillableRun {
  /** The kill reached a run still going (it ended by SIGKILL, not by itself). */
  killed: boolean;
  exitCode: number;
  wallS: number;
  /** ru_maxrss from GNU time; NaN when the run was killed (time died with it). */
  maxRssKb: number;
  stderrTail: string;
}

/** What the database held right after a kill: how far the killed run had got. */
export type KillState = 'no database yet' | 'nothing committed' | 'mid-ingest' | 'all sources complete';

export interface KillResumeOptions {
  repoRoot: string;
  workDir: string;
  /** `proc-tree ingest` arguments after `--db FILE`. */
  ingestArgs: string[];
  /** Fresh databases, each killed first at a random moment (N). */
  trials: number;
  seed: number;
  /** A re-run is killed again at a new random moment at most this many times, then left to finish. */
  maxKillsPerTrial?: number;
  /**
   * The first run of each trial is killed as soon as its database shows part of the input
   * committed, instead of at a random moment: a short test then always cuts an ingest
   * between two commits, however fast or loaded the machine is.
   */
  firstKillMidIngest?: boolean;
}

/** When runKillable kills: after a delay, or as soon as the database is seen half-ingested. */
export type KillPlan = { afterS: number } | { midIngestOf: string };

/** How often a midIngestOf plan looks at the database, ms. */
const MID_INGEST_POLL_MS = 3;

export interface KillResumeResult {
  /** Wall time of the uninterrupted reference ingest, s: kill delays are drawn in [0, this). */
  referenceWallS: number;
  referenceMaxRssKb: number;
  trials: number;
  killsSent: number;
  /** Kills that reached a running process, by how far the run had got. */
  landed: Record<KillState, number>;
  /** Runs that ended by themselves with an undocumented status, or a signal other than ours. */
  crashes: number;
  internalErrors: number;
  /** Runs that finished by themselves, over all trials (the last one of each trial exits 0). */
  runsToCompletion: number;
  /** Trials whose final canonical dump equalled the reference's. */
  dumpsIdentical: number;
  /** Kills that landed mid-run in trials whose final dump equalled the reference's. */
  killPointsSurvived: number;
  maxPeakRssKb: number;
  totalWallS: number;
  /** The first few things that went wrong, for the notes. */
  failures: string[];
}

const STDERR_TAIL = 8192;

/**
 * Runs `proc-tree ingest` under GNU time as the leader of a new process group and, when a
 * kill plan is given, SIGKILLs the whole group (time, the CLI and anything it started) then.
 */
export async function runKillable(cli: ProcTreeCli, args: string[], plan: KillPlan | undefined, tmp: string): Promise<KillableRun> {
  const timeDir = mkdtempSync(join(tmp, 'time-'));
  const timeFile = join(timeDir, 'time.txt');
  const started = process.hrtime.bigint();
  const child = spawn('/usr/bin/time', ['-f', '%M', '-o', timeFile, ...cli.argv(args)], { stdio: ['ignore', 'ignore', 'pipe'], detached: true, cwd: cli.repoRoot });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    if (stderr.length > 4 * STDERR_TAIL) stderr = stderr.slice(-STDERR_TAIL);
  });
  const killGroup = (): void => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // the group is already gone: the run finished first
    }
  };
  let timer: NodeJS.Timeout | undefined;
  if (plan !== undefined && 'afterS' in plan) timer = setTimeout(killGroup, plan.afterS * 1000);
  else if (plan !== undefined) {
    const db = plan.midIngestOf;
    const poll = (): void => {
      if (killState(db) === 'mid-ingest') killGroup();
      else timer = setTimeout(poll, MID_INGEST_POLL_MS);
    };
    timer = setTimeout(poll, MID_INGEST_POLL_MS);
  }
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c, s) => resolve({ code: c, signal: s }));
  });
  clearTimeout(timer);
  const wallS = Number(process.hrtime.bigint() - started) / 1e9;
  const timeLines = existsSync(timeFile) ? readFileSync(timeFile, 'utf8').trim().split('\n') : [];
  rmSync(timeDir, { recursive: true, force: true });
  const killed = signal === 'SIGKILL' && plan !== undefined;
  return {
    killed,
    exitCode: code ?? 128 + (signal === null ? 0 : signalNumber(signal)),
    wallS,
    maxRssKb: killed ? NaN : Number(timeLines[timeLines.length - 1] ?? NaN),
    stderrTail: stderr.slice(-STDERR_TAIL),
  };
}

function signalNumber(signal: NodeJS.Signals): number {
  return signal === 'SIGKILL' ? 9 : signal === 'SIGSEGV' ? 11 : signal === 'SIGABRT' ? 6 : 0;
}

/** How far a killed ingest got, read from what it left committed. */
export function killState(db: string): KillState {
  if (!existsSync(db)) return 'no database yet';
  try {
    const reader = new Database(db, { readonly: true, fileMustExist: true });
    try {
      const instances = (reader.prepare('SELECT count(*) AS n FROM instances').get() as { n: number }).n;
      if (instances === 0) return 'nothing committed';
      const incomplete = (reader.prepare('SELECT count(*) AS n FROM sources WHERE complete = 0').get() as { n: number }).n;
      return incomplete > 0 ? 'mid-ingest' : 'all sources complete';
    } finally {
      reader.close();
    }
  } catch {
    // created but not yet migrated: no table to read
    return 'nothing committed';
  }
}

/**
 * kill -9 at random moments, many times: an uninterrupted ingest gives the reference dump
 * and duration; then each trial starts a fresh database, kills the ingest at a random moment
 * within that duration, re-runs the same command (killed again at a new random moment, up to
 * maxKillsPerTrial times) until one run finishes by itself, and compares canonical dumps.
 */
export async function killResume(o: KillResumeOptions): Promise<KillResumeResult> {
  const cli = new ProcTreeCli(o.repoRoot);
  const rng = new SeededRandom(o.seed);
  const maxKills = o.maxKillsPerTrial ?? 5;
  const t0 = Date.now();
  const referenceDb = join(o.workDir, 'reference.db');
  const reference = await runKillable(cli, ['ingest', '--db', referenceDb, ...o.ingestArgs], undefined, o.workDir);
  if (reference.exitCode !== 0) throw new Error(`uninterrupted ingest failed (exit ${reference.exitCode}): ${reference.stderrTail.trim().split('\n').pop()}`);
  const expected = JSON.stringify(canonicalDump(referenceDb));

  const r: KillResumeResult = {
    referenceWallS: reference.wallS,
    referenceMaxRssKb: reference.maxRssKb,
    trials: o.trials,
    killsSent: 0,
    landed: { 'no database yet': 0, 'nothing committed': 0, 'mid-ingest': 0, 'all sources complete': 0 },
    crashes: 0,
    internalErrors: 0,
    runsToCompletion: 0,
    dumpsIdentical: 0,
    killPointsSurvived: 0,
    maxPeakRssKb: reference.maxRssKb,
    totalWallS: 0,
    failures: [],
  };
  const fail = (s: string): void => void (r.failures.length < 3 && r.failures.push(s));
  for (let trial = 0; trial < o.trials; trial++) {
    const db = join(o.workDir, `trial-${trial}.db`);
    let finished = false;
    let landedHere = 0;
    for (let attempt = 0; !finished; attempt++) {
      const plan: KillPlan | undefined =
        attempt === 0 && o.firstKillMidIngest === true ? { midIngestOf: db } : attempt <= maxKills ? { afterS: rng.float() * reference.wallS } : undefined;
      if (plan !== undefined) r.killsSent++;
      const run = await runKillable(cli, ['ingest', '--db', db, ...o.ingestArgs], plan, o.workDir);
      const verdict = judgeRun({ exitCode: run.exitCode, stderrTail: run.stderrTail });
      if (verdict.internalError) {
        r.internalErrors++;
        fail(`trial ${trial} run ${attempt}: ${run.stderrTail.trim().split('\n').slice(-3).join(' / ').slice(0, 200)}`);
      }
      if (run.killed) {
        const state = killState(db);
        r.landed[state]++;
        if (state !== 'all sources complete') landedHere++;
        continue;
      }
      finished = true;
      r.runsToCompletion++;
      if (Number.isFinite(run.maxRssKb)) r.maxPeakRssKb = Math.max(r.maxPeakRssKb, run.maxRssKb);
      if (verdict.crashed || run.exitCode !== 0) {
        if (verdict.crashed) r.crashes++;
        fail(`trial ${trial} run ${attempt}: exit ${run.exitCode}: ${run.stderrTail.trim().split('\n').pop() ?? ''}`);
        break;
      }
      if (JSON.stringify(canonicalDump(db)) === expected) {
        r.dumpsIdentical++;
        r.killPointsSurvived += landedHere;
      } else fail(`trial ${trial}: canonical dump differs from the uninterrupted ingest's`);
    }
    rmSync(db, { force: true });
    rmSync(`${db}-wal`, { force: true });
    rmSync(`${db}-shm`, { force: true });
  }
  r.totalWallS = (Date.now() - t0) / 1000;
  return r;
}

/** Kills that reached a run before it had everything committed. */
export function landedMidRun(r: KillResumeResult): number {
  return r.landed['no database yet'] + r.landed['nothing committed'] + r.landed['mid-ingest'];
}
