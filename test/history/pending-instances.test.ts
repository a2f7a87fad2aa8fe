import { describe, expect, it } from 'vitest';
import { INSERT_COLUMNS, PendingInstances, type InstanceParams } from '../../src/history/pending-instances.js';

const drained = (p: PendingInstances): Record<string, unknown>[] => {
  const names = INSERT_COLUMNS.split(', ');
  const out: Record<string, unknown>[] = [];
  p.drain((params: InstanceParams) => out.push(Object.fromEntries(names.map((n, i) => [n, params[i]]))));
  return out;
};

describe('pending instance rows', () => {
  it('gives consecutive ids from the next free one and hands rows over with their end, NULL where unknown', () => {
    const p = new PendingInstances(41, 8);
    const a = p.add({ hostId: 1, pid: 10, startNs: 100n, startKnown: true, creatorPid: 1, creatorId: 7, evidence: { src: 2, off: 300, line: 4, rec: '1.0:5' } });
    const b = p.add({ hostId: 1, pid: 11, startNs: 200n, startKnown: false });
    expect([a, b]).toEqual([41, 42]);
    p.end(p.slot(a), { endNs: 150n, certainty: 'observed', exitCode: -1, evidence: { off: 900, rec: '1.0:9' } });
    const rows = drained(p);
    expect(rows[0]).toEqual({
      id: 41, host_id: 1, pid: 10, start_ns: 100n, start_known: 1, creator_pid: 1, creator_id: 7, start_src: 2, start_off: 300, start_line: 4, start_rec: '1.0:5',
      end_ns: 150n, end_certainty: 'observed', end_reason: null, exit_code: -1, exit_signal: null, end_src: null, end_off: 900, end_line: null, end_rec: '1.0:9',
    });
    expect(rows[1]).toMatchObject({ id: 42, start_known: 0, creator_pid: null, start_rec: null, end_ns: null, end_certainty: null, exit_code: null });
  });

  it('forgets written rows: their ids have no slot, and the next id continues after them', () => {
    const p = new PendingInstances(1, 4);
    const a = p.add({ hostId: 1, pid: 5, startNs: 1n, startKnown: true });
    expect(p.slot(a)).toBe(0);
    drained(p);
    expect(p.slot(a)).toBe(-1);
    expect(p.add({ hostId: 1, pid: 5, startNs: 2n, startKnown: true })).toBe(2);
    p.discard(2); // rolled back: id 2 is free again
    expect(p.size).toBe(0);
    expect(p.add({ hostId: 1, pid: 6, startNs: 3n, startKnown: true })).toBe(2);
  });

  it('moves a start to a late fork record and finds a pid\'s rows by scanning', () => {
    const p = new PendingInstances(1, 4);
    const a = p.add({ hostId: 1, pid: 5, startNs: 50n, startKnown: false, evidence: { rec: 'seen' } });
    p.add({ hostId: 2, pid: 5, startNs: 60n, startKnown: false });
    p.forkStart(p.slot(a), 40n, 3, undefined, { rec: 'fork' });
    expect(p.slotsOfPid(1, 5)).toEqual([0]);
    expect(p.summary(0)).toEqual({ id: a, hostId: 1, pid: 5, startNs: 40n, startKnown: true });
    expect(drained(p)[0]).toMatchObject({ start_ns: 40n, start_known: 1, creator_pid: 3, creator_id: null, start_rec: 'fork' });
  });

  it('refuses to grow past its capacity (the writer flushes first)', () => {
    const p = new PendingInstances(1, 1);
    p.add({ hostId: 1, pid: 5, startNs: 1n, startKnown: true });
    expect(() => p.add({ hostId: 1, pid: 6, startNs: 1n, startKnown: true })).toThrow(/flush/);
  });
});
