/**
 * The scenarios of follow-stop-mid-event.test.ts, for any backend (SQLite there, PostgreSQL
 * in test/postgres/pg-follow-stop.test.ts): a real log appended in 64 KB whole-line pieces
 * while `ingest --follow` runs; the follow stops (or the log goes quiet) right after the
 * first EXECVE record of an exec whose argv auditd split over three; then a plain ingest of
 * the whole log. The history must equal a one-shot plain ingest of the log into SQLite.
 * Real capture: samples/auditd-slices/real-enriched-long-argv/audit.log (1 MB).
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import { runFollowIngest } from '../../src/ingest/follow-ingest.js';
import { runIngest } from '../../src/ingest/run-ingest.js';
import { REPO_ROOT } from '../cli/cli-runner.js';
import { canonicalDump } from './canonical-dump.js';

const LOG = join(REPO_ROOT, 'samples', 'auditd-slices', 'real-enriched-long-argv', 'audit.log');
const TEXT = readFileSync(LOG, 'latin1');
const LINES = TEXT.split(/(?<=\n)/);
const PIECE_BYTES = 64 * 1024;

/** A history being followed into, as the scenarios look at it. */
export interface FollowedHistory {
  /** --db: a SQLite file or a postgres:// URL. */
  db: string;
  /** The size the follow's last commit recorded for the log (what it had read), or -1. */
  committedSize(): Promise<number>;
  /** Rows in images (-1 while there is no history yet). */
  imageCount(): Promise<number>;
  /** canonicalDump's format. */
  dump(): Promise<Record<string, string[]>>;
}

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

async function waitFor(what: string, ok: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const bytes = (s: string): number => Buffer.byteLength(s, 'latin1');

async function appendPieces(log: string, lines: string[], pauseMs: number): Promise<void> {
  for (const piece of piecesOf(lines)) {
    appendFileSync(log, piece, 'latin1');
    if (pauseMs > 0) await sleep(pauseMs);
  }
}

/** The history equals a one-shot plain ingest of the log; rows that differ are shown readable (an argv here is 18,000 characters). */
async function expectSameAsPlain(history: FollowedHistory, log: string, dir: string): Promise<void> {
  const plain = join(dir, 'plain.db');
  await runIngest({ db: plain, inputs: [log] });
  const dump = await history.dump();
  const want = canonicalDump(plain);
  const only = (a: Record<string, string[]>, b: Record<string, string[]>): string[] =>
    Object.keys(a).flatMap((t) => a[t]!.filter((r) => !b[t]!.includes(r)).map((r) => `${t}: ${r.replace(/(.)\1{39,}/g, (run, c: string) => `${c} x ${run.length}`)}`));
  expect({ followedThenPlain: only(dump, want), oneShot: only(want, dump) }).toEqual({ followedThenPlain: [], oneShot: [] });
  expect(dump).toEqual(want);
}

/** A stop while data flows (no idle flush for 60 s), right after the first EXECVE record of the exec. */
export async function stopWhileFlowing(history: FollowedHistory, dir: string): Promise<void> {
  const log = join(dir, 'audit.log');
  const cut = cutInsideLongExec();
  const head = LINES.slice(0, cut).join('');
  writeFileSync(log, '');
  const stop = new AbortController();
  // Commits after every piece it reads (commitEveryMs 0), so its size shows how far it has read.
  const following = runFollowIngest({ db: history.db, path: log, signal: stop.signal, idleFlushMs: 60_000, pollMs: 20, commitEveryMs: 0 });
  await appendPieces(log, LINES.slice(0, cut), 10);
  await waitFor('the follow to read the first part', async () => (await history.committedSize()) === bytes(head));
  stop.abort();
  const followed = await following;
  expect(followed.bytes).toBe(bytes(head));
  await appendPieces(log, LINES.slice(cut), 0);
  await runIngest({ db: history.db, inputs: [log] });
  await expectSameAsPlain(history, log, dir);
}

/**
 * The log goes quiet right after the first EXECVE record of the exec: an idle flush (200 ms)
 * stores the other events of the open window, not that exec. Then either a stop while quiet
 * and the rest appended, or the rest appended while following and a stop; then a plain ingest.
 */
export async function quietInsideAnExec(history: FollowedHistory, dir: string, stopWhileQuiet: boolean): Promise<void> {
  const log = join(dir, 'audit.log');
  const cut = cutInsideLongExec();
  const head = LINES.slice(0, cut).join('');
  // What a plain ingest of the first part stores (the cut exec too, as it is at the end).
  const headOnly = join(dir, 'head.log');
  writeFileSync(headOnly, head, 'latin1');
  const headDb = join(dir, 'head.db');
  await runIngest({ db: headDb, inputs: [headOnly] });
  const headImages = canonicalDump(headDb).images.length;
  writeFileSync(log, '');
  const stop = new AbortController();
  const following = runFollowIngest({ db: history.db, path: log, signal: stop.signal, idleFlushMs: 200, pollMs: 20, commitEveryMs: 0 });
  await appendPieces(log, LINES.slice(0, cut), 10);
  await waitFor('the follow to read the first part', async () => (await history.committedSize()) === bytes(head));
  // The idle flush stores every event of the open window but the cut exec.
  await waitFor('the idle flush', async () => (await history.imageCount()) >= headImages - 1);
  await sleep(600);
  expect(await history.imageCount()).toBe(headImages - 1);
  if (!stopWhileQuiet) {
    await appendPieces(log, LINES.slice(cut), 0);
    await waitFor('the follow to read the rest', async () => (await history.committedSize()) === bytes(TEXT));
  }
  stop.abort();
  const followed = await following;
  expect(followed.skipped['late-record']).toBeUndefined();
  if (stopWhileQuiet) await appendPieces(log, LINES.slice(cut), 0);
  await runIngest({ db: history.db, inputs: [log] });
  await expectSameAsPlain(history, log, dir);
}
