import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { captureEvents } from '../support/capture-events.js';
import { WritableHistory } from '../../src/history/history-database.js';
import type { NewParent, ParentSummary } from '../../src/history/history-writer.js';
import { MAX_FOLLOWED_INSTANCES } from '../../src/history/parent-rows-cache.js';
import { auditdCapturesDir } from '../support/truth.js';
import { canonicalDump } from '../ingest/canonical-dump.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'proc-tree-parent-rows-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** SQLite's answers, with the statements the writer used before it kept parent rows in memory. */
function sqlSummary(history: WritableHistory, instanceId: number): ParentSummary {
  const rows = history.db.prepare('SELECT ppid FROM parents WHERE instance_id = ? ORDER BY since_ns DESC, id DESC LIMIT 2').all(instanceId) as { ppid: number }[];
  const s: ParentSummary = { hasHistory: rows.length > 1 };
  if (rows[0] !== undefined) s.ppid = rows[0].ppid;
  return s;
}
const sqlFirstRow = (history: WritableHistory, instanceId: number): { id: number } | undefined =>
  history.db.prepare('SELECT id FROM parents WHERE instance_id = ? ORDER BY since_ns, id LIMIT 1').get(instanceId) as { id: number } | undefined;

describe('parent rows of the writer\'s own instances, answered from memory', () => {
  it('agrees with SQLite at every late-fork merge of the real captures, and rewrites the row SQLite names', () => {
    let summaries = 0;
    let firstRows = 0;
    const mismatches: string[] = [];
    for (const capture of readdirSync(auditdCapturesDir).filter((c) => existsSync(join(auditdCapturesDir, c, 'logs')))) {
      const logs = join(auditdCapturesDir, capture, 'logs');
      // Oldest generation first, as an ingest of the directory reads them.
      const files = readdirSync(logs).filter((f) => f.startsWith('audit.log') && !f.endsWith('.gz')).sort().reverse().map((f) => join(logs, f));
      const history = WritableHistory.open(join(dir, `${capture}.db`));
      const w = history.writer;
      const summary = w.parentSummary.bind(w);
      w.parentSummary = (id) => {
        const fromMemory = summary(id);
        const fromSql = sqlSummary(history, id);
        summaries++;
        if (JSON.stringify(fromMemory) !== JSON.stringify(fromSql)) mismatches.push(`${capture}: summary of ${id}: ${JSON.stringify(fromMemory)} vs ${JSON.stringify(fromSql)}`);
        return fromMemory;
      };
      const setFirst = w.setFirstParentFromFork.bind(w);
      w.setFirstParentFromFork = (id: number, r: Omit<NewParent, 'instanceId'>) => {
        const expected = sqlFirstRow(history, id);
        setFirst(id, r);
        firstRows++;
        if (expected !== undefined) {
          const row = history.db.prepare('SELECT since_ns, ppid FROM parents WHERE id = ?').safeIntegers(true).get(expected.id) as { since_ns: bigint; ppid: bigint };
          if (row.since_ns !== r.sinceNs || Number(row.ppid) !== r.ppid) mismatches.push(`${capture}: first row of ${id}: row ${expected.id} not rewritten`);
        }
      };
      const builder = history.builder();
      history.begin();
      for (const e of captureEvents(files)) builder.onEvent(e);
      builder.saveState();
      history.commit();
      history.close();
    }
    expect(mismatches).toEqual([]);
    // The captures hold late forks (a child's records written before its clone's): they were seen.
    expect(summaries).toBeGreaterThan(5);
    expect(firstRows).toBeGreaterThan(5);
  });

  it('gives the same rows for instances of an earlier run (answered by SQLite) as for its own', () => {
    const ops = (history: WritableHistory, ids: number[]): void => {
      const w = history.writer;
      const [a, b, c] = ids as [number, number, number];
      const orphan = w.insertParent({ instanceId: c, sinceNs: 40n, ppid: 1, kind: 'orphaned' });
      w.resolveOrphanRow(orphan, 7, undefined);
      expect(w.parentSummary(a)).toEqual(sqlSummary(history, a));
      expect(w.parentSummary(b)).toEqual(sqlSummary(history, b));
      expect(w.parentSummary(c)).toEqual(sqlSummary(history, c));
      w.setFirstParentFromFork(a, { sinceNs: 5n, ppid: 3, kind: 'fork' });
      w.setFirstParentFromFork(b, { sinceNs: 6n, ppid: 3, kind: 'fork' }); // no row yet: inserted
      w.setFirstParentFromFork(c, { sinceNs: 7n, ppid: 3, kind: 'fork' });
      for (const id of ids) expect(w.parentSummary(id)).toEqual(sqlSummary(history, id));
    };
    const create = (history: WritableHistory): number[] => {
      const w = history.writer;
      const host = w.hostId('h');
      const a = w.insertInstance({ hostId: host, pid: 10, startNs: 10n, startKnown: false });
      w.insertParent({ instanceId: a, sinceNs: 10n, ppid: 2, kind: 'seen' });
      const b = w.insertInstance({ hostId: host, pid: 11, startNs: 11n, startKnown: false });
      const c = w.insertInstance({ hostId: host, pid: 12, startNs: 12n, startKnown: false });
      w.insertParent({ instanceId: c, sinceNs: 30n, ppid: 2, kind: 'seen' });
      w.insertParent({ instanceId: c, sinceNs: 12n, ppid: 4, kind: 'seen' });
      return [a, b, c];
    };
    const own = WritableHistory.open(join(dir, 'own.db'));
    own.begin();
    ops(own, create(own));
    own.commit();
    own.close();
    const first = WritableHistory.open(join(dir, 'earlier.db'));
    first.begin();
    const ids = create(first);
    first.commit();
    first.close();
    const later = WritableHistory.open(join(dir, 'earlier.db'));
    later.begin();
    ops(later, ids);
    later.commit();
    later.close();
    expect(canonicalDump(join(dir, 'own.db'))).toEqual(canonicalDump(join(dir, 'earlier.db')));
  });

  it('answers for instances beyond its bound from SQLite, the oldest first forgotten', () => {
    const history = WritableHistory.open(join(dir, 'bound.db'));
    const w = history.writer;
    history.begin();
    const host = w.hostId('h');
    const ids: number[] = [];
    for (let i = 0; i < MAX_FOLLOWED_INSTANCES + 50; i++) {
      const id = w.insertInstance({ hostId: host, pid: 100 + i, startNs: BigInt(1000 + i), startKnown: false });
      w.insertParent({ instanceId: id, sinceNs: BigInt(1000 + i), ppid: 2 + (i % 7), kind: 'seen' });
      if (i % 3 === 0) w.resolveOrphanRow(w.insertParent({ instanceId: id, sinceNs: BigInt(2000 + i), ppid: 1, kind: 'orphaned' }), 9, undefined);
      ids.push(id);
    }
    for (const id of [ids[0]!, ids[49]!, ids[50]!, ids.at(-1)!]) {
      expect(w.parentSummary(id)).toEqual(sqlSummary(history, id));
      const first = sqlFirstRow(history, id)!;
      w.setFirstParentFromFork(id, { sinceNs: 5n, ppid: 3, kind: 'fork' });
      expect(history.db.prepare('SELECT since_ns, ppid FROM parents WHERE id = ?').get(first.id)).toEqual({ since_ns: 5, ppid: 3 });
      expect(w.parentSummary(id)).toEqual(sqlSummary(history, id));
    }
    history.commit();
    history.close();
  });
});
