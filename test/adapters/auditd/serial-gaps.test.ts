import { describe, expect, it } from 'vitest';
import { isRecordError, parseRecord } from '../../../adapters/auditd/parse-record.js';
import { SerialGapTracker } from '../../../adapters/auditd/serial-gaps.js';
import { traceLines } from './trace-helpers.js';

function track(serials: number[], window?: number) {
  const losses: { count: number; at: string }[] = [];
  const resets: string[] = [];
  const tracker = new SerialGapTracker(
    { onLoss: (_n, count, after) => losses.push({ count, at: after.id }), onReset: (_n, at) => resets.push(at.id) },
    window,
  );
  for (const serial of serials) {
    const id = String(serial);
    tracker.see(undefined, serial, id, { sec: 1, ms: 0, idStart: 0, idEnd: id.length }, { file: 'x', offset: 0 });
  }
  tracker.finish();
  return { losses, resets };
}

function traceSerials(relative: string): number[] {
  return traceLines(relative).flatMap((line) => {
    const r = parseRecord(line, () => false);
    return isRecordError(r) ? [] : [r.serial];
  });
}

describe('SerialGapTracker', () => {
  it('finds the 9 events missing between serial 49 and 59 of lost_messages.log', () => {
    expect(track(traceSerials('go-libaudit/lost_messages.log')).losses).toEqual([{ count: 9, at: '59' }]);
  });

  it('sees no loss across the 2^32 wrap of rollover.log', () => {
    const serials = traceSerials('go-libaudit/rollover.log');
    expect(serials).toContain(0);
    expect(track(serials).losses).toEqual([]);
  });

  it('does not count serial 0 when a kernel skips it at the wrap', () => {
    expect(track([4294967294, 4294967295, 1, 2]).losses).toEqual([]);
    expect(track([4294967294, 3]).losses).toEqual([{ count: 3, at: '3' }]);
  });

  it('tolerates serials out of order within the window', () => {
    expect(track([10, 12, 11, 14, 13, 13, 15]).losses).toEqual([]);
  });

  it('declares a hole lost once the stream is twice the window past it', () => {
    const serials = [1, 2, 4, ...Array.from({ length: 30 }, (_, i) => 5 + i)];
    const tracker = track(serials, 8);
    expect(tracker.losses).toEqual([{ count: 1, at: '4' }]);
  });

  it('fills holes that close out of order and counts the ones that stay open separately', () => {
    expect(track([1, 5, 3, 2, 4, 6]).losses).toEqual([]);
    expect(track([1, 4, 5, 9, 3, 10]).losses).toEqual([
      { count: 1, at: '3' },
      { count: 3, at: '9' },
    ]);
  });

  it('treats a big jump backwards as a counter restart, not a loss', () => {
    expect(track([500000, 500001, 7, 8])).toEqual({ losses: [], resets: ['7'] });
  });
});
