import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WritableHistory } from '../../src/history/history-database.js';
import type { LastInstance } from '../../src/history/history-writer.js';
import { LastInstanceCache } from '../../src/history/last-instance-cache.js';

let dir: string;
let history: WritableHistory;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'proc-tree-last-'));
  history = WritableHistory.open(join(dir, 'h.db'));
});
afterEach(() => {
  history.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The answer straight from SQLite, as the writer gave it before the cache existed. */
function fromSql(hostId: number, pid: number): LastInstance | undefined {
  history.writer.flush(); // rows the writer still holds (pending-instances.ts) go to SQLite first
  const r = history.db.prepare('SELECT * FROM instances WHERE host_id = ? AND pid = ? ORDER BY start_ns DESC, id DESC LIMIT 1').safeIntegers(true).get(hostId, pid) as Record<string, bigint | string | null> | undefined;
  if (r === undefined) return undefined;
  const last: LastInstance = { id: Number(r.id), startNs: r.start_ns as bigint, startKnown: Number(r.start_known) === 1 };
  if (r.end_ns !== null) last.endNs = r.end_ns as bigint;
  if (r.end_certainty !== null) last.endCertainty = r.end_certainty as LastInstance['endCertainty'];
  return last;
}

describe('last instance of a pid, answered from memory', () => {
  it('agrees with SQLite through inserts, earlier "seen since" starts, fork merges and ends', () => {
    const w = history.writer;
    history.begin();
    const host = w.hostId('');
    const check = () => {
      for (const pid of [10, 11, 12]) expect(w.lastInstance(host, pid)).toEqual(fromSql(host, pid));
    };
    check();
    const a = w.insertInstance({ hostId: host, pid: 10, startNs: 100n, startKnown: true });
    check();
    // /proc told an earlier start: the newest by start stays the first one.
    w.insertInstance({ hostId: host, pid: 10, startNs: 50n, startKnown: true });
    check();
    const b = w.insertInstance({ hostId: host, pid: 11, startNs: 200n, startKnown: false });
    w.endInstance(a, { endNs: 150n, certainty: 'inferred' });
    check();
    w.setForkStart(b, 190n, 1, undefined); // merged into an earlier fork record
    check();
    const c = w.insertInstance({ hostId: host, pid: 11, startNs: 180n, startKnown: false });
    w.setForkStart(c, 170n, 1, undefined); // not the newest: moving it cannot change the answer
    check();
    w.setForkStart(b, 160n, 1, undefined); // the newest moves behind another: the answer changes
    check();
    w.endInstance(c, { endNs: 300n, certainty: 'observed' });
    check();
    history.commit();
  });

  it('answers for a database written by an earlier run (not a fresh host) from SQLite, then from memory', () => {
    history.begin();
    const host = history.writer.hostId('');
    history.writer.insertInstance({ hostId: host, pid: 7, startNs: 1n, startKnown: true });
    history.commit();
    history.close();
    history = WritableHistory.open(join(dir, 'h.db'));
    history.begin();
    const w = history.writer;
    expect(w.lastInstance(host, 7)).toEqual(fromSql(host, 7));
    const id = w.insertInstance({ hostId: host, pid: 7, startNs: 5n, startKnown: true });
    expect(w.lastInstance(host, 7)!.id).toBe(id);
    // A pid never looked up: unknown here, so SQLite answers.
    w.insertInstance({ hostId: host, pid: 8, startNs: 5n, startKnown: false });
    expect(w.lastInstance(host, 8)).toEqual(fromSql(host, 8));
    history.commit();
  });

  it('forgets everything past its bound instead of growing, and stays exact', () => {
    let asked = 0;
    const cache = new LastInstanceCache(() => {
      asked++;
      return false;
    });
    cache.inserted(1, 5, 1, 10n, true);
    expect(cache.get(1, 5)?.id).toBe(1);
    expect(cache.get(1, 6)).toBeNull(); // fresh host: none
    cache.clear();
    expect(cache.get(1, 5)).toBeUndefined(); // unknown now: ask SQLite
    expect(cache.get(1, 6)).toBeUndefined();
    expect(asked).toBe(1);
  });
});
