/**
 * A follow stopped while the log is being written, between two records of one event, stores
 * nothing of that event: the next run reads it whole. Before the fix, the stop emitted the
 * reassembler's open events as they were (an exec without the rest of its argv) and the next
 * run, re-reading the event whole, skipped it as stored (same audit id): the wrong argv stayed
 * in the history for good (in 2 of 3 runs of the 84 MB log appended in 64 KB pieces).
 * Real capture: samples/auditd-slices/real-enriched-long-argv/audit.log (1 MB, 11 execs whose
 * argv auditd split over three EXECVE records).
 */
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { runFollowIngest } from '../../src/ingest/follow-ingest.js';
import { runIngest } from '../../src/ingest/run-ingest.js';
import { REPO_ROOT } from '../cli/cli-runner.js';
import { canonicalDump } from './canonical-dump.js';

const LOG = join(REPO_ROOT, 'samples', 'auditd-slices', 'real-enriched-long-argv', 'audit.log');
const TEXT = readFileSync(LOG, 'latin1');
const LINES = TEXT.split(/(?<=\n)/);
const PIECE_BYTES = 64 * 1024;

const work = mkdtempSync(join(tmpdir(), 'proc-tree-follow-mid-event-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let n = 0;
const freshDir = (): string => {
  const dir = join(work, `case${++n}`);
  mkdirSync(dir);
  return dir;
};

const idOf = (l: string): string | undefined => /audit\(([\d.]+:\d+)\)/.exec(l)?.[1];

/** Line index just after the first EXECVE record of the long-argv exec nearest the middle of the log (more of its EXECVE records follow). */
function cutInsideLongExec(): number {
  const cuts: number[] = [];
  for (let i = 1; i < LINES.length; i++) {
    const l = LINES[i - 1]!;
    if (l.startsWith('type=EXECVE') && / a\d+_len=/.test(l) && LINES[i]!.startsWith('type=EXECVE') && idOf(LINES[i]!) === idOf(l)) cuts.push(i);
  }
  expect(cuts.length).toBeGreaterThan(2);
  return cuts[Math.floor(cuts.length / 2)]!;
}

/** Whole lines, at most PIECE_BYTES a piece (a longer line is a piece of its own). */
function piecesOf(lines: string[]): string[] {
  const pieces: string[] = [];
  let piece = '';
  for (const l of lines) {
    if (piece.length > 0 && piece.length + l.length > PIECE_BYTES) {
      pieces.push(piece);
      piece = '';
    }
    piece += l;
  }
  if (piece.length > 0) pieces.push(piece);
  return pieces;
}

/** The size the follow's last commit recorded for the log (what it had read), or -1. */
function committedSize(db: string): number {
  try {
    const reader = new Database(db, { readonly: true, fileMustExist: true });
    try {
      return (reader.prepare('SELECT max(size) AS s FROM sources').get() as { s: number | null }).s ?? -1;
    } finally {
      reader.close();
    }
  } catch {
    return -1;
  }
}

function imageCount(db: string): number {
  try {
    const reader = new Database(db, { readonly: true, fileMustExist: true });
    try {
      return (reader.prepare('SELECT count(*) AS n FROM images').get() as { n: number }).n;
    } finally {
      reader.close();
    }
  } catch {
    return -1;
  }
}

/** Same canonical dump; the rows that differ are shown readable (an argv here is 18,000 characters). */
function expectSameHistory(db: string, plain: string): void {
  const dump = canonicalDump(db);
  const want = canonicalDump(plain);
  const only = (a: Record<string, string[]>, b: Record<string, string[]>): string[] =>
    Object.keys(a).flatMap((t) => a[t]!.filter((r) => !b[t]!.includes(r)).map((r) => `${t}: ${r.replace(/(.)\1{39,}/g, (run, c: string) => `${c} x ${run.length}`)}`));
  expect({ followedThenPlain: only(dump, want), oneShot: only(want, dump) }).toEqual({ followedThenPlain: [], oneShot: [] });
  expect(dump).toEqual(want);
}

async function waitFor(what: string, ok: () => boolean, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('ingest --follow - a stop between two records of one event', () => {
  it('stores none of the event: a plain ingest of the whole log afterwards gives the history of a one-shot plain ingest', async () => {
    const dir = freshDir();
    const log = join(dir, 'audit.log');
    const db = join(dir, 'follow.db');
    const cut = cutInsideLongExec();
    const before = LINES.slice(0, cut);
    const head = before.join('');
    writeFileSync(log, '');
    const stop = new AbortController();
    // No idle flush before the stop (60 s): the stop comes while the event is still open.
    // Commits after every piece it reads (commitEveryMs 0), so its size shows how far it has read.
    const following = runFollowIngest({ db, path: log, signal: stop.signal, idleFlushMs: 60_000, pollMs: 20, commitEveryMs: 0 });
    for (const piece of piecesOf(before)) {
      appendFileSync(log, piece, 'latin1');
      await sleep(10);
    }
    await waitFor('the follow to read the first part', () => committedSize(db) === Buffer.byteLength(head, 'latin1'));
    stop.abort();
    const followed = await following;
    expect(followed.bytes).toBe(Buffer.byteLength(head, 'latin1'));

    for (const piece of piecesOf(LINES.slice(cut))) appendFileSync(log, piece, 'latin1');
    await runIngest({ db, inputs: [log] });
    const plain = join(dir, 'plain.db');
    await runIngest({ db: plain, inputs: [log] });
    expectSameHistory(db, plain);
  }, 60_000);

  it('holds an exec the log went quiet in the middle of (no PROCTITLE yet) at an idle flush, and joins the records that come later', async () => {
    for (const stopWhileQuiet of [true, false]) {
      const dir = freshDir();
      const log = join(dir, 'audit.log');
      const db = join(dir, 'follow.db');
      const cut = cutInsideLongExec();
      const before = LINES.slice(0, cut);
      const head = before.join('');
      // What a plain ingest of the first part stores (the cut exec too, as it is at the end).
      const headOnly = join(dir, 'head.log');
      writeFileSync(headOnly, head, 'latin1');
      const headDb = join(dir, 'head.db');
      await runIngest({ db: headDb, inputs: [headOnly] });
      const headImages = imageCount(headDb);
      writeFileSync(log, '');
      const stop = new AbortController();
      const following = runFollowIngest({ db, path: log, signal: stop.signal, idleFlushMs: 200, pollMs: 20, commitEveryMs: 0 });
      for (const piece of piecesOf(before)) {
        appendFileSync(log, piece, 'latin1');
        await sleep(10);
      }
      await waitFor('the follow to read the first part', () => committedSize(db) === Buffer.byteLength(head, 'latin1'));
      // The idle flush stores every event of the open window but the cut exec.
      await waitFor('the idle flush', () => imageCount(db) >= headImages - 1);
      await sleep(600);
      expect(imageCount(db)).toBe(headImages - 1);

      if (!stopWhileQuiet) {
        for (const piece of piecesOf(LINES.slice(cut))) appendFileSync(log, piece, 'latin1');
        await waitFor('the follow to read the rest', () => committedSize(db) === Buffer.byteLength(TEXT, 'latin1'));
      }
      stop.abort();
      const followed = await following;
      expect(followed.skipped['late-record']).toBeUndefined();
      if (stopWhileQuiet) for (const piece of piecesOf(LINES.slice(cut))) appendFileSync(log, piece, 'latin1');
      await runIngest({ db, inputs: [log] });
      const plain = join(dir, 'plain.db');
      await runIngest({ db: plain, inputs: [log] });
      expectSameHistory(db, plain);
    }
  }, 60_000);
});
