/**
 * A follow stopped while the log is being written, between two records of one event, stores
 * nothing of that event: the next run reads it whole. Before the fix, the stop emitted the
 * reassembler's open events as they were (an exec without the rest of its argv) and the next
 * run, re-reading the event whole, skipped it as stored (same audit id): the wrong argv stayed
 * in the history for good (in 2 of 3 runs of the 84 MB log appended in 64 KB pieces). Same
 * for an idle flush while the log had stopped in the middle of the exec: the exec is held
 * (no PROCTITLE yet) and joins the records that come later. Scenarios: follow-mid-event.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, it } from 'vitest';
import { canonicalDump } from './canonical-dump.js';
import { quietInsideAnExec, stopWhileFlowing, type FollowedHistory } from './follow-mid-event.js';
import { caseDirs } from '../support/case-dirs.js';

const work = mkdtempSync(join(tmpdir(), 'proc-tree-follow-mid-event-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const freshDir = caseDirs(work);

/** One value from the history, or -1 while there is none. */
function read(db: string, sql: string): number {
  try {
    const reader = new Database(db, { readonly: true, fileMustExist: true });
    try {
      return (reader.prepare(sql).get() as { v: number | null }).v ?? -1;
    } finally {
      reader.close();
    }
  } catch {
    return -1;
  }
}

function sqliteHistory(dir: string): FollowedHistory {
  const db = join(dir, 'follow.db');
  return {
    db,
    committedSize: () => Promise.resolve(read(db, 'SELECT max(size) AS v FROM sources')),
    imageCount: () => Promise.resolve(read(db, 'SELECT count(*) AS v FROM images')),
    dump: () => Promise.resolve(canonicalDump(db)),
  };
}

describe('ingest --follow - a stop between two records of one event', () => {
  it('stores none of the event: a plain ingest of the whole log afterwards gives the history of a one-shot plain ingest', async () => {
    const dir = freshDir();
    await stopWhileFlowing(sqliteHistory(dir), dir);
  });

  it('holds an exec the log went quiet in the middle of (no PROCTITLE yet) at an idle flush, and joins the records that come later', async () => {
    for (const stopWhileQuiet of [true, false]) {
      const dir = freshDir();
      await quietInsideAnExec(sqliteHistory(dir), dir, stopWhileQuiet);
    }
  });
});
