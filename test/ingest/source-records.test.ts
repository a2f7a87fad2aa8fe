import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT_INCOMPLETE } from '../../src/cli/user-error.js';
import { openHistoryDb } from '../../src/history/open-history-db.js';
import { auditPoint, comparePoints } from '../../src/time/audit-point.js';
import { cliInProcess } from '../cli/cli-in-process.js';
import { REPO_ROOT } from '../cli/cli-runner.js';
import { listAuditdCaptures } from '../support/truth.js';

// Each source's row records what it holds (schema/004-source-records.sql): the span of its
// audit ids, the record at its highest offset, the events stored from it. The repeated-records
// and resume checks read these instead of scanning every stored row at each run.
const LOGS = join(REPO_ROOT, 'samples', 'auditd', 'rotation', 'logs');
const work = mkdtempSync(join(tmpdir(), 'proc-tree-source-records-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let n = 0;
const freshDb = (): string => join(work, `h${++n}.db`);

interface RecordColumns {
  id: number;
  path: string;
  first_rec: string | null;
  last_rec: string | null;
  tail_rec: string | null;
  tail_off: number | null;
  record_count: number | null;
}

function sourceRows(db: string): RecordColumns[] {
  const h = new Database(db, { readonly: true });
  try {
    return h.prepare('SELECT id, path, first_rec, last_rec, tail_rec, tail_off, record_count FROM sources ORDER BY id').all() as RecordColumns[];
  } finally {
    h.close();
  }
}

/** Audit ids of a log's kernel records (auditd's own DAEMON_* records carry the daemon's serial). */
const idsOf = (path: string): string[] => [...readFileSync(path, 'latin1').matchAll(/type=(?!DAEMON_)\w+ msg=audit\((\d+\.\d{3}:\d+)\)/g)].map((m) => m[1]!);
const point = (rec: string) => auditPoint(rec)!;

/** A history as the version before schema 4 left it: no record columns (nor content hashes, schema 5). */
function asBeforeRecordColumns(db: string): void {
  const h = new Database(db);
  for (const c of ['first_rec', 'last_rec', 'tail_rec', 'tail_off', 'record_count', 'content_sha256', 'content_bytes']) h.exec(`ALTER TABLE sources DROP COLUMN ${c}`);
  h.pragma('user_version = 3');
  h.close();
}

describe("each source's row records its span, its last record and its events", () => {
  it('every capture: the span lies within the file, the last record is at its offset, the counts add up to the events stored', async () => {
    for (const capture of listAuditdCaptures()) {
      const db = freshDb();
      const r = await cliInProcess('ingest', '--db', db, '--json', capture.logDir);
      expect(r.code).toBe(0);
      const summary = JSON.parse(r.out) as { events: Record<string, number> };
      const rows = sourceRows(db);
      for (const row of rows) {
        const ids = idsOf(row.path).map(point);
        const lo = ids.reduce((a, b) => (comparePoints(a, b) <= 0 ? a : b));
        const hi = ids.reduce((a, b) => (comparePoints(a, b) >= 0 ? a : b));
        expect(comparePoints(point(row.first_rec!), lo), `${row.path} first`).toBeGreaterThanOrEqual(0);
        expect(comparePoints(point(row.last_rec!), hi), `${row.path} last`).toBeLessThanOrEqual(0);
        expect(comparePoints(point(row.first_rec!), point(row.last_rec!))).toBeLessThanOrEqual(0);
        const text = readFileSync(row.path, 'latin1');
        expect(text.slice(row.tail_off!, text.indexOf('\n', row.tail_off!)), `${row.path} tail`).toContain(`msg=audit(${row.tail_rec})`);
      }
      const events = Object.entries(summary.events).reduce((sum, [kind, count]) => sum + (kind === 'loss' ? 0 : count), 0);
      expect(rows.reduce((sum, row) => sum + row.record_count!, 0), capture.dir).toBe(events);
      // A re-run reads nothing and leaves the rows as they were.
      expect((await cliInProcess('ingest', '--db', db, capture.logDir)).code).toBe(0);
      expect(sourceRows(db)).toEqual(rows);
    }
  });

  it('a log that grew, ingested twice: its row is the row of one run over the whole log', async () => {
    const whole = join(LOGS, 'audit.log.2');
    const lines = readFileSync(whole, 'latin1').split(/(?<=\n)/);
    const growing = join(work, 'growing.log');
    writeFileSync(growing, lines.slice(0, 30).join(''), 'latin1');
    const db = freshDb();
    expect((await cliInProcess('ingest', '--db', db, growing)).code).toBe(0);
    const early = sourceRows(db)[0]!;
    writeFileSync(growing, lines.join(''), 'latin1');
    const r = await cliInProcess('ingest', '--db', db, growing);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/resumed from byte/);
    const once = freshDb();
    copyFileSync(whole, join(work, 'once.log'));
    expect((await cliInProcess('ingest', '--db', once, join(work, 'once.log'))).code).toBe(0);
    const { id: _a, path: _b, ...grown } = sourceRows(db)[0]!;
    const { id: _c, path: _d, ...read } = sourceRows(once)[0]!;
    expect(grown).toEqual(read);
    expect(early.record_count!).toBeLessThan(grown.record_count!);
  });

  it('a history from before the columns is filled once from its stored evidence: a concatenation is still refused, the logs still already ingested', async () => {
    const db = freshDb();
    expect((await cliInProcess('ingest', '--db', db, LOGS)).code).toBe(0);
    asBeforeRecordColumns(db);
    // What the ingest scanned at every run before: each source's evidence rows at its lowest and highest offset.
    const h = new Database(db, { readonly: true });
    const ev = `SELECT start_src AS src, start_off AS off, start_rec AS rec FROM instances WHERE start_rec IS NOT NULL
      UNION ALL SELECT end_src, end_off, end_rec FROM instances WHERE end_rec IS NOT NULL
      UNION ALL SELECT src, off, rec FROM parents WHERE rec IS NOT NULL
      UNION ALL SELECT src, off, rec FROM images WHERE rec IS NOT NULL`;
    // One offset is one record: the rows at the lowest and highest offset each cite one id.
    const ends = new Map<number, { lo: { off: number; rec: string }; hi: { off: number; rec: string } }>();
    for (const r of h.prepare(`SELECT src, off, rec FROM (${ev})`).all() as { src: number; off: number; rec: string }[]) {
      const e = ends.get(r.src);
      if (e === undefined) ends.set(r.src, { lo: r, hi: r });
      else if (r.off < e.lo.off) e.lo = r;
      else if (r.off > e.hi.off) e.hi = r;
    }
    h.close();
    openHistoryDb(db).close(); // migrates
    const rows = sourceRows(db);
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      const { lo, hi } = ends.get(row.id)!;
      const [first, last] = comparePoints(point(lo.rec), point(hi.rec)) <= 0 ? [lo.rec, hi.rec] : [hi.rec, lo.rec];
      expect(row).toEqual({ id: row.id, path: row.path, first_rec: first, last_rec: last, tail_rec: hi.rec, tail_off: hi.off, record_count: null });
    }
    const all = join(work, 'all.log');
    writeFileSync(all, Buffer.concat(['audit.log.2', 'audit.log.1', 'audit.log'].map((f) => readFileSync(join(LOGS, f)))));
    const r = await cliInProcess('ingest', '--db', db, all);
    expect(r.code).toBe(EXIT_INCOMPLETE);
    expect(r.err.trimEnd().split('\n').at(-1)).toMatch(new RegExp(`^proc-tree ingest: ${all} repeats records already ingested from ${join(LOGS, 'audit.log.1')} `));
    const again = await cliInProcess('ingest', '--db', db, LOGS);
    expect(again.code).toBe(0);
    expect(again.err.match(/already-ingested/g)).toHaveLength(3);
  });
});
