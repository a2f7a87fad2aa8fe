import { appendFileSync, existsSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';

/**
 * Real generations written by auditd's own rotation, oldest first: samples/auditd/rotation
 * (recorded first, 1795589436...) then samples/auditd/busy-machine-rotation (1795590230...),
 * each audit.log.2, audit.log.1, audit.log: one host's log replayed in time order.
 */
export const FOLLOW_GENERATIONS = ['rotation', 'busy-machine-rotation'].flatMap((s) => ['audit.log.2', 'audit.log.1', 'audit.log'].map((f) => `samples/auditd/${s}/logs/${f}`));

export function readGenerations(repoRoot: string): Buffer[] {
  return FOLLOW_GENERATIONS.map((f) => readFileSync(join(repoRoot, f)));
}

/**
 * A generation cut into appends of about `linesPerChunk` lines (at least `minChunks`), each
 * ending where the audit(...) id changes, as auditd writes whole events; the cut points come
 * from the real lines.
 */
export function chunksAtEventBoundaries(text: Buffer, linesPerChunk: number, minChunks = 1): Buffer[] {
  const starts: number[] = [0];
  for (let i = text.indexOf(10); i >= 0 && i + 1 < text.length; i = text.indexOf(10, i + 1)) starts.push(i + 1);
  const lineAt = (k: number): string => text.subarray(starts[k], k + 1 < starts.length ? starts[k + 1] : text.length).toString('latin1');
  const idOf = (k: number): string | undefined => /audit\(([\d.]+:\d+)\)/.exec(lineAt(k))?.[1];
  const per = Math.max(1, Math.min(linesPerChunk, Math.floor(starts.length / minChunks)));
  const chunks: Buffer[] = [];
  let from = 0;
  for (let k = per; k < starts.length; k += per) {
    while (k < starts.length && idOf(k) !== undefined && idOf(k) === idOf(k - 1)) k++;
    if (k >= starts.length) break;
    chunks.push(text.subarray(starts[from], starts[k]));
    from = k;
  }
  chunks.push(text.subarray(starts[from]));
  return chunks;
}

export interface WriterPlan {
  /** Each generation's appends, oldest generation first. */
  generations: Buffer[][];
  /** Pause after each append, ms. */
  pauseMs: number;
  /** Rotations (1 = the first) whose rotated file is compressed at once, as logrotate's `compress`. */
  gzipRotations?: number[];
  /**
   * Generations written in one append and rotated away at once, as auditd does under a burst
   * with a small max_log_file: created, filled and rotated between two polls of a follow.
   */
  burstGenerations?: number[];
}

/**
 * Writes a log like auditd does into `dir`/audit.log, appending whole events with pauses and
 * rotating between generations (audit.log.N -> N+1, audit.log -> audit.log.1, a new empty
 * audit.log). Someone else can act just before a rotation (the writer waits for it) or learn
 * when one happened; every rotation's time is kept.
 */
export class RotatingWriter {
  /** Date.now() of each rotation done. */
  readonly rotationTimes: number[] = [];
  finished = false;
  private before: (() => Promise<void>)[] = [];
  private after: ((rotated: boolean) => void)[] = [];
  private rotationsLeft = 0;

  constructor(readonly dir: string) {}

  get log(): string {
    return join(this.dir, 'audit.log');
  }

  /** Writes the first append of the first generation (what a follow or ingest finds at start). */
  begin(plan: WriterPlan): void {
    writeFileSync(this.log, plan.generations[0]![0]!);
    this.rotationsLeft = plan.generations.length - 1;
  }

  /** The rest of the plan after begin(). */
  async run(plan: WriterPlan): Promise<void> {
    const gzip = new Set(plan.gzipRotations ?? []);
    const burst = new Set(plan.burstGenerations ?? []);
    try {
      for (let g = 0; g < plan.generations.length; g++) {
        const chunks = burst.has(g) && g > 0 ? [Buffer.concat(plan.generations[g]!)] : plan.generations[g]!;
        for (let c = g === 0 ? 1 : 0; c < chunks.length; c++) {
          if (c === 0) await this.rotate(gzip.has(g));
          appendFileSync(this.log, chunks[c]!);
          if (!burst.has(g)) await sleep(plan.pauseMs);
        }
      }
    } finally {
      this.finished = true;
      this.rotationsLeft = 0;
      for (const fn of this.after.splice(0)) fn(false);
      this.before = [];
    }
  }

  /** Runs `fn` just before the next rotation, which waits for it; false (fn not run) when none is left. */
  atNextRotation(fn: () => Promise<void>): Promise<boolean> {
    if (this.rotationsLeft === 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      this.before.push(async () => {
        await fn();
        resolve(true);
      });
      this.after.push((rotated) => {
        if (!rotated) resolve(false);
      });
    });
  }

  /** Resolves just after the next rotation; false when none is left. */
  nextRotation(): Promise<boolean> {
    if (this.rotationsLeft === 0) return Promise.resolve(false);
    return new Promise((resolve) => this.after.push(resolve));
  }

  private async rotate(compress: boolean): Promise<void> {
    const before = this.before.splice(0);
    for (const fn of before) await fn();
    const dir = this.dir;
    for (let k = 32; k >= 1; k--) {
      for (const gz of ['', '.gz']) {
        const from = join(dir, `audit.log.${k}${gz}`);
        if (existsSync(from)) renameSync(from, join(dir, `audit.log.${k + 1}${gz}`));
      }
    }
    const rotated = join(dir, 'audit.log.1');
    renameSync(this.log, rotated);
    writeFileSync(this.log, Buffer.alloc(0));
    if (compress) {
      // logrotate writes the .gz beside it, then removes the plain file (a name outside the
      // rotated-log pattern while being written).
      const tmp = join(dir, '.audit.log.1.gz.tmp');
      writeFileSync(tmp, gzipSync(readFileSync(rotated)));
      renameSync(tmp, `${rotated}.gz`);
      unlinkSync(rotated);
    }
    this.rotationTimes.push(Date.now());
    this.rotationsLeft--;
    // The rotations waited for so far resolve; those asked during this one wait for the next.
    const after = this.after.splice(0);
    for (const fn of after) fn(true);
  }
}
