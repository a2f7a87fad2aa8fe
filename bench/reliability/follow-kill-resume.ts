import { execFile } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProcTreeCli } from '../harness/proc-tree-cli.js';
import { SeededRandom } from '../synth/seeded-random.js';
import { comparableDump, commitMark, firstDifference, FollowProcess, type FollowExit } from './follow-process.js';
import { judgeRun } from './judge-run.js';
import { chunksAtEventBoundaries, readGenerations, RotatingWriter, type WriterPlan } from './rotating-writer.js';

/** A kill this close to a rotation (before or after it), ms, counts as "around a rotation". */
export const ROTATION_WINDOW_MS = 300;
/** How long the follow is given to catch up after the writer's last append before Ctrl-C, ms. */
const CATCH_UP_MS = 2_500;

export type KillKind = 'early' | 'uniform' | 'just before a rotation' | 'just after a rotation';
const KINDS: readonly KillKind[] = ['early', 'uniform', 'just before a rotation', 'just after a rotation'];

export interface FollowKillResumeOptions {
  repoRoot: string;
  workDir: string;
  seed: number;
  /** Rounds are run until this many kills were sent (each round: a fresh log and database). */
  minKills: number;
  maxRounds: number;
  /** At most this many kills in one round (the writer's run bounds them too). */
  maxKillsPerRound: number;
  /** Writer: pause after each append, ms, and lines per append. */
  pauseMs: number;
  linesPerChunk: number;
}

/** Commit after about this many lines (default 200,000 or 2 s): kills land between commits, and some before the first. */
export const FOLLOW_COMMIT_EVERY = '500';

/** One SIGKILL of the follow's process group. */
export interface KillRecord {
  round: number;
  kind: KillKind;
  /** The group was running when the kill came (it ended by SIGKILL). */
  landed: boolean;
  /** The run had committed no progress: no instance stored, no registered file's position moved. */
  beforeFirstCommit: boolean;
  /** Within ROTATION_WINDOW_MS of a rotation. */
  nearRotation: boolean;
  /** auditd rotated the log while the follow was down (between this kill and the restart). */
  rotatedWhileDown: boolean;
}

export interface FollowKillResumeResult {
  rounds: number;
  /** Rounds that started on a fresh database (the rest after a plain ingest of the directory, as the README says). */
  freshRounds: number;
  kills: KillRecord[];
  rotations: number;
  gzipRotations: number;
  burstGenerations: number;
  generations: number;
  logBytes: number;
  /** Runs that ended by themselves with an undocumented status or a signal other than ours. */
  crashes: number;
  internalErrors: number;
  /** Clean stops (SIGINT) at the end of a round, and restarts needed to catch up before one. */
  cleanStops: number;
  dumpsIdentical: number;
  maxPeakRssKb: number;
  totalWallS: number;
  failures: string[];
}

/**
 * kill -9 of `ingest --follow` across rotations: a writer replays real rotated captures into
 * audit.log (whole events, pauses, auditd's rotation, one rotation compressed) while the
 * follow runs; its process group is SIGKILLed at seeded random moments (early in a run,
 * uniformly, just before or just after a rotation) and restarted after a random down time.
 * When the writer is done and the follow has caught up it is stopped with Ctrl-C (SIGINT),
 * and its database must equal a plain `ingest` of the final directory (file names aside).
 */
export async function followKillResume(o: FollowKillResumeOptions): Promise<FollowKillResumeResult> {
  const t0 = Date.now();
  const cli = new ProcTreeCli(o.repoRoot);
  const rng = new SeededRandom(o.seed);
  const generations = readGenerations(o.repoRoot);
  const plan: WriterPlan = {
    generations: generations.map((g) => chunksAtEventBoundaries(g, o.linesPerChunk, 3)),
    pauseMs: o.pauseMs,
    // The second generation of the busy capture (70 KB): long enough to be cut by a kill.
    gzipRotations: [4],
    // The small last generation of the rotation capture (9 KB) comes in one burst.
    burstGenerations: [1],
  };
  const r: FollowKillResumeResult = {
    rounds: 0,
    freshRounds: 0,
    kills: [],
    rotations: 0,
    gzipRotations: 0,
    burstGenerations: 0,
    generations: generations.length,
    logBytes: generations.reduce((a, g) => a + g.length, 0),
    crashes: 0,
    internalErrors: 0,
    cleanStops: 0,
    dumpsIdentical: 0,
    maxPeakRssKb: 0,
    totalWallS: 0,
    failures: [],
  };
  const fail = (s: string): void => void (r.failures.length < 3 && r.failures.push(s));
  const judge = (exit: FollowExit, label: string, killed: boolean): void => {
    const v = judgeRun(exit);
    if (v.internalError) {
      r.internalErrors++;
      fail(`${label}: ${exit.stderrTail.trim().split('\n').slice(-3).join(' / ').slice(0, 200)}`);
    }
    if (!killed && v.crashed) {
      r.crashes++;
      fail(`${label}: exit ${exit.exitCode}: ${exit.stderrTail.trim().split('\n').pop() ?? ''}`);
    }
  };

  for (let round = 0; round < o.maxRounds && (round === 0 || r.kills.length < o.minKills); round++) {
    r.rounds++;
    const base = join(o.workDir, `round-${round}`);
    const dir = join(base, 'logs');
    mkdirSync(dir, { recursive: true });
    const db = join(base, 'follow.db');
    const writer = new RotatingWriter(dir);
    writer.begin(plan);
    // Even rounds: a follow on a fresh database; odd ones: the directory ingested first.
    const fresh = round % 2 === 0;
    if (fresh) r.freshRounds++;
    else await plainIngest(cli, db, dir);
    const start = (): FollowProcess => new FollowProcess(cli, db, writer.log, o.workDir, ['--commit-every', FOLLOW_COMMIT_EVERY]);
    let follow = start();
    let mark = commitMark(db);
    // A follow on a fresh database owns the log once it has opened it; a rotation before
    // that is history for a plain ingest (README), not something the follow could know.
    if (fresh) await untilOpened(writer.log, follow);
    const writing = writer.run(plan);
    const kills: { record: KillRecord; at: number; restartAt: number }[] = [];
    const kinds: KillKind[] = [];
    while (!writer.finished && kills.length < o.maxKillsPerRound) {
      // Every kind in turn, in a seeded order per block of four.
      // The first kill of a round comes just before the first rotation: on a fresh database
      // that is the follow that lost a generation before e817550.
      if (kinds.length === 0) kinds.push(...(kills.length === 0 ? ['just before a rotation' as const] : []), ...shuffled(KINDS, rng));
      let kind = kinds.shift()!;
      let exit: FollowExit | undefined;
      let at = 0;
      const victim = follow;
      if (kind === 'just before a rotation') {
        const rotated = await writer.atNextRotation(async () => {
          at = Date.now();
          exit = await victim.kill();
        });
        if (!rotated) kind = 'uniform';
      } else if (kind === 'just after a rotation') {
        if (await writer.nextRotation()) await sleep(rng.float() * ROTATION_WINDOW_MS);
        else kind = 'uniform';
      } else if (kind === 'early') await sleep(50 + rng.float() * 550);
      if (kind === 'uniform') await sleep(rng.float() * 3000);
      if (exit === undefined) {
        at = Date.now();
        exit = await victim.kill();
      }
      const landed = exit.signal === 'SIGKILL';
      judge(exit, `round ${round} kill ${kills.length}`, landed);
      if (!landed) fail(`round ${round} kill ${kills.length}: the follow had ended by itself (exit ${exit.exitCode}): ${exit.stderrTail.trim().split('\n').pop() ?? ''}`);
      const record: KillRecord = { round, kind, landed, beforeFirstCommit: noProgress(mark, commitMark(db)), nearRotation: false, rotatedWhileDown: false };
      await sleep(rng.float() * 500);
      kills.push({ record, at, restartAt: Date.now() });
      follow = start();
      mark = commitMark(db);
    }
    await writing;
    r.rotations += writer.rotationTimes.length;
    r.gzipRotations += plan.gzipRotations!.length;
    r.burstGenerations += plan.burstGenerations!.length;
    for (const k of kills) {
      k.record.nearRotation = writer.rotationTimes.some((t) => Math.abs(t - k.at) <= ROTATION_WINDOW_MS);
      k.record.rotatedWhileDown = writer.rotationTimes.some((t) => t >= k.at && t <= k.restartAt);
      r.kills.push(k.record);
    }
    // Caught up = a clean stop whose last input is the live file read to its end.
    let caughtUp = false;
    for (let attempt = 0; attempt < 6 && !caughtUp; attempt++) {
      await sleep(CATCH_UP_MS);
      const exit = await follow.interrupt();
      r.cleanStops++;
      judge(exit, `round ${round} stop ${attempt}`, false);
      if (Number.isFinite(exit.maxRssKb)) r.maxPeakRssKb = Math.max(r.maxPeakRssKb, exit.maxRssKb);
      if (exit.exitCode !== 0) break;
      caughtUp = readToEnd(exit.stdout, writer.log);
      if (!caughtUp) follow = start();
    }
    if (!caughtUp) {
      fail(`round ${round}: the follow did not catch up with the writer`);
      continue;
    }
    const reference = join(base, 'plain.db');
    await plainIngest(cli, reference, dir);
    const diff = firstDifference(comparableDump(db), comparableDump(reference));
    if (diff === undefined) r.dumpsIdentical++;
    else fail(`round ${round}: dump differs from the plain ingest's: ${diff.slice(0, 240)}`);
  }
  r.totalWallS = (Date.now() - t0) / 1000;
  return r;
}

function shuffled<T>(items: readonly T[], rng: SeededRandom): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** The same committed positions of the registered files and the same instance count. */
function noProgress(before: string | undefined, after: string | undefined): boolean {
  const parse = (m: string | undefined): { offsets: Map<string, string>; instances: number } => {
    if (m === undefined) return { offsets: new Map(), instances: 0 };
    const { sources, instances } = JSON.parse(m) as { sources: string[]; instances: number };
    return { offsets: new Map(sources.map((s) => s.split(':') as [string, string])), instances };
  };
  const a = parse(before);
  const b = parse(after);
  if (a.instances !== b.instances) return false;
  for (const [id, offset] of a.offsets) if (b.offsets.get(id) !== offset) return false;
  return true;
}

/** Waits until the follow holds the log open (at most 30 s): it has started following it. */
async function untilOpened(log: string, follow: FollowProcess): Promise<void> {
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    if (follow.holdsOpen(log)) return;
    await sleep(5);
  }
  await follow.kill();
  throw new Error(`the follow did not open ${log} within 30 s: ${follow.stderrSoFar.trim().split('\n').pop() ?? ''}`);
}

/** Whether the summary (--json) of a stopped follow ends with the live file read to its end. */
function readToEnd(stdout: string, log: string): boolean {
  const line = stdout.trim().split('\n').pop();
  if (line === undefined || line === '') return false;
  const summary = JSON.parse(line) as { inputs: { path: string; fromOffset: number; bytes: number }[] };
  const last = summary.inputs[summary.inputs.length - 1];
  return last !== undefined && last.path === log && last.fromOffset + last.bytes === statSync(log).size;
}

function plainIngest(cli: ProcTreeCli, db: string, dir: string): Promise<void> {
  const [node, ...args] = cli.argv(['ingest', '--db', db, dir]);
  return new Promise((resolve, reject) => {
    execFile(node!, args, { cwd: cli.repoRoot, maxBuffer: 16 << 20 }, (error, _stdout, stderr) => {
      if (error === null) resolve();
      else reject(new Error(`plain ingest of ${dir} failed: ${stderr.trim().split('\n').pop() ?? error.message}`));
    });
  });
}

export function countKills(r: FollowKillResumeResult): { landed: number; beforeFirstCommit: number; nearRotation: number; rotatedWhileDown: number; lostGenerationScenario: number } {
  const landed = r.kills.filter((k) => k.landed);
  return {
    landed: landed.length,
    beforeFirstCommit: landed.filter((k) => k.beforeFirstCommit).length,
    nearRotation: landed.filter((k) => k.nearRotation).length,
    rotatedWhileDown: landed.filter((k) => k.rotatedWhileDown).length,
    lostGenerationScenario: landed.filter((k) => k.beforeFirstCommit && k.rotatedWhileDown).length,
  };
}
