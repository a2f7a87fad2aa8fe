import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WritableHistory } from '../../src/history/history-database.js';
import type { EndCertainty } from '../../src/history/history-types.js';
import type { LastInstance } from '../../src/history/history-writer.js';
import { MAX_PENDING_INSTANCES } from '../../src/history/sqlite-history-writer.js';

let dir: string;
let history: WritableHistory;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'proc-tree-writer-'));
  history = WritableHistory.open(join(dir, 'h.db'));
});
afterEach(() => {
  history.close();
  rmSync(dir, { recursive: true, force: true });
});

/** What the instances table holds on disk right now (the writer may hold more). */
interface DiskRow {
  id: number;
  pid: number;
  start_ns: bigint;
  start_known: number;
  end_ns: bigint | null;
  end_certainty: string | null;
  end_rec: string | null;
}
const onDisk = (): DiskRow[] =>
  (history.db.prepare('SELECT id, pid, start_ns, start_known, end_ns, end_certainty, end_rec FROM instances ORDER BY id').safeIntegers(true).all() as DiskRow[]).map(
    (r) => ({ ...r, id: Number(r.id), pid: Number(r.pid), start_known: Number(r.start_known) }),
  );

/** An instance as an independent model keeps it: no SQLite, no cache. */
interface Model {
  id: number;
  hostId: number;
  pid: number;
  startNs: bigint;
  startKnown: boolean;
  endNs?: bigint;
  endCertainty?: EndCertainty;
}

/** The newest instance of a pid by (start, id): what `lastInstance` must answer. */
function newest(model: Model[], hostId: number, pid: number): LastInstance | undefined {
  let best: Model | undefined;
  for (const m of model) {
    if (m.hostId !== hostId || m.pid !== pid) continue;
    if (best === undefined || m.startNs > best.startNs || (m.startNs === best.startNs && m.id > best.id)) best = m;
  }
  if (best === undefined) return undefined;
  const last: LastInstance = { id: best.id, startNs: best.startNs, startKnown: best.startKnown };
  if (best.endNs !== undefined) last.endNs = best.endNs;
  if (best.endCertainty !== undefined) last.endCertainty = best.endCertainty;
  return last;
}

/** Deterministic pseudo-random numbers (xorshift32): the same sequence on every run. */
function rng(seed: number): (n: number) => number {
  let x = seed;
  return (n) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
}

/**
 * Random inserts, "seen since" starts moved to a fork (forward and back in time), ends,
 * commits and look-ups over few pids (so pids are reused a lot), checking every answer
 * against the model and, at the end, every stored row.
 */
function exercise(seed: number, steps: number, model: Model[], hostId: number): void {
  const r = rng(seed);
  const w = history.writer;
  let t = 1_000n;
  history.begin();
  for (let step = 0; step < steps; step++) {
    t += BigInt(r(50));
    const pid = 100 + r(12);
    const op = r(100);
    if (op < 35) {
      // /proc can report a start before the previous holder's: "seen since" may go back.
      const startNs = r(10) === 0 ? t - BigInt(r(400)) : t;
      const startKnown = r(2) === 0;
      const id = w.insertInstance({ hostId, pid, startNs, startKnown, evidence: { rec: `s${step}` } });
      model.push({ id, hostId, pid, startNs, startKnown });
    } else if (op < 45) {
      const last = w.lastInstance(hostId, pid);
      if (last !== undefined && !last.startKnown) {
        // A late fork record: its time is before (child first) or just after the sighting.
        const forkNs = last.startNs - BigInt(r(300)) + 20n;
        w.setForkStart(last.id, forkNs, 1, undefined, { rec: `f${step}` });
        const m = model.find((x) => x.id === last.id)!;
        m.startNs = forkNs;
        m.startKnown = true;
      }
    } else if (op < 75) {
      const live = model.filter((m) => m.hostId === hostId && m.endNs === undefined);
      const m = live[r(Math.max(1, live.length))];
      if (m !== undefined) {
        const certainty: EndCertainty = r(3) === 0 ? 'inferred' : 'observed';
        w.endInstance(m.id, { endNs: t, certainty, evidence: { rec: `e${step}` } });
        m.endNs = t;
        m.endCertainty = certainty;
      }
    } else if (op < 97) {
      expect(w.lastInstance(hostId, pid)).toEqual(newest(model, hostId, pid));
    } else {
      history.commit();
      history.begin();
    }
  }
  for (let pid = 100; pid < 112; pid++) expect(w.lastInstance(hostId, pid)).toEqual(newest(model, hostId, pid));
  history.commit();
  const rows = onDisk();
  expect(rows.map((x) => x.id)).toEqual(model.map((m) => m.id));
  for (const [i, m] of model.entries()) {
    expect(rows[i]!.start_ns).toBe(m.startNs);
    expect(rows[i]!.start_known).toBe(m.startKnown ? 1 : 0);
    expect(rows[i]!.end_ns).toBe(m.endNs ?? null);
    expect(rows[i]!.end_certainty).toBe(m.endCertainty ?? null);
  }
}

describe('SQLite history writer holding new instance rows', () => {
  it('writes a process that ends before the flush once, already ended, and gives ids in creation order', () => {
    const w = history.writer;
    history.begin();
    const host = w.hostId('');
    const a = w.insertInstance({ hostId: host, pid: 10, startNs: 100n, startKnown: true, evidence: { rec: 'fork:1' } });
    const b = w.insertInstance({ hostId: host, pid: 11, startNs: 110n, startKnown: false });
    w.endInstance(a, { endNs: 150n, certainty: 'observed', exitCode: 0, evidence: { rec: 'exit:1' } });
    expect(b).toBe(a + 1);
    expect(onDisk()).toHaveLength(0); // held in memory until the commit
    history.commit();
    expect(onDisk()).toEqual([
      { id: a, pid: 10, start_ns: 100n, start_known: 1, end_ns: 150n, end_certainty: 'observed', end_rec: 'exit:1' },
      { id: b, pid: 11, start_ns: 110n, start_known: 0, end_ns: null, end_certainty: null, end_rec: null },
    ]);
    // Ended after its row was written: an UPDATE, as before.
    history.begin();
    w.endInstance(b, { endNs: 200n, certainty: 'inferred', reason: 'pid-reused' });
    const c = w.insertInstance({ hostId: host, pid: 10, startNs: 300n, startKnown: true });
    expect(c).toBe(b + 1);
    history.commit();
    expect(onDisk().map((r) => [r.id, r.end_ns])).toEqual([[a, 150n], [b, 200n], [c, null]]);
  });

  it('lets a query view on the same connection see rows not written yet', async () => {
    const w = history.writer;
    history.begin();
    const host = w.hostId('');
    const store = history.store();
    const id = w.insertInstance({ hostId: host, pid: 42, startNs: 5n, startKnown: true });
    expect((await store.read((r) => r.instance(id)))?.pid).toBe(42);
    w.endInstance(id, { endNs: 9n, certainty: 'observed' });
    expect((await store.read((r) => r.instance(id)))?.endNs).toBe(9n);
    expect(await store.read((r) => r.instancesOfPid('', 42))).toHaveLength(1);
    history.commit();
  });

  it('discards held rows with a rolled-back transaction and keeps rows written outside one', () => {
    const w = history.writer;
    const host = w.hostId('');
    history.begin();
    w.insertInstance({ hostId: host, pid: 1, startNs: 1n, startKnown: true });
    history.rollback();
    expect(onDisk()).toHaveLength(0);
    // Outside begin()..commit() rows used to commit one by one: closing still keeps them.
    const id = w.insertInstance({ hostId: host, pid: 2, startNs: 2n, startKnown: true });
    expect(id).toBe(1); // the rolled-back id is free again
    history.close();
    history = WritableHistory.open(join(dir, 'h.db'));
    expect(onDisk().map((r) => r.pid)).toEqual([2]);
  });

  it('keeps at most MAX_PENDING_INSTANCES rows in memory', () => {
    const w = history.writer;
    history.begin();
    const host = w.hostId('');
    for (let i = 0; i <= MAX_PENDING_INSTANCES; i++) w.insertInstance({ hostId: host, pid: 1000 + i, startNs: BigInt(i), startKnown: true });
    expect(onDisk()).toHaveLength(MAX_PENDING_INSTANCES);
    history.commit();
    expect(onDisk()).toHaveLength(MAX_PENDING_INSTANCES + 1);
  });

  it('answers the newest instance of a pid exactly through held rows, flushes, moved starts and reused pids', () => {
    const model: Model[] = [];
    exercise(7, 3000, model, history.writer.hostId(''));
  });

  it('merges held rows into SQLite answers for a database written by an earlier run', () => {
    const model: Model[] = [];
    const host = history.writer.hostId('');
    exercise(11, 800, model, host);
    history.close();
    // A new writer: the host is not fresh, so pids are unknown until SQLite answers.
    history = WritableHistory.open(join(dir, 'h.db'));
    exercise(13, 3000, model, host);
  });
});
