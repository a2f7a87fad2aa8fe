/**
 * ingest --follow into PostgreSQL, stopped (or gone quiet) between two records of one exec:
 * the scenarios of test/ingest/follow-stop-mid-event.test.ts (follow-mid-event.ts), same
 * expectation: after a plain ingest of the whole log, the history of a one-shot plain ingest.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { quietInsideAnExec, stopWhileFlowing, type FollowedHistory } from '../ingest/follow-mid-event.js';
import { freshDatabase, withClient, type TestDatabase } from '../support/postgres-database.js';
import { pgCanonicalDump } from './pg-canonical-dump.js';
import { caseDirs } from '../support/case-dirs.js';

const work = mkdtempSync(join(tmpdir(), 'proc-tree-pg-follow-stop-'));
const databases: TestDatabase[] = [];
afterAll(async () => {
  rmSync(work, { recursive: true, force: true });
  for (const db of databases) await db.drop();
});
const freshDir = caseDirs(work);

/** One value from the history, or -1 while there is none (no schema yet). */
async function read(url: string, sql: string): Promise<number> {
  try {
    return await withClient(url, async (c) => Number((await c.query(sql)).rows[0]?.v ?? -1));
  } catch {
    return -1;
  }
}

async function pgHistory(): Promise<FollowedHistory> {
  const db = await freshDatabase('follow_stop');
  databases.push(db);
  return {
    db: db.url,
    committedSize: () => read(db.url, 'SELECT max(size) AS v FROM sources'),
    imageCount: () => read(db.url, 'SELECT count(*) AS v FROM images'),
    dump: () => pgCanonicalDump(db.url),
  };
}

describe('ingest --follow into PostgreSQL - a stop between two records of one event', () => {
  it('stores none of the event: a plain ingest of the whole log afterwards gives the history of a one-shot plain ingest', async () => {
    await stopWhileFlowing(await pgHistory(), freshDir());
  });

  it('holds an exec the log went quiet in the middle of at an idle flush, and joins the records that come later', async () => {
    for (const stopWhileQuiet of [true, false]) await quietInsideAnExec(await pgHistory(), freshDir(), stopWhileQuiet);
  });
});
