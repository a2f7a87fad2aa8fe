import { describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../../adapters/auditd/audit-record.js';
import { isRecordError, parseRecord } from '../../../adapters/auditd/parse-record.js';
import { DEFAULT_REASSEMBLY_LIMITS, Reassembler, serialDistance, type AssembledEvent } from '../../../adapters/auditd/reassemble.js';
import { traceLines } from './trace-helpers.js';

function assemble(relative: string, limits = DEFAULT_REASSEMBLY_LIMITS) {
  const events: AssembledEvent[] = [];
  const late: string[] = [];
  const reassembler = new Reassembler({ onEvent: (e) => events.push(e), onLateRecord: (r) => late.push(r.id) }, limits);
  traceLines(relative).forEach((line, index) => {
    const record = parseRecord(line);
    if (isRecordError(record) || record.type === 'EOE') return;
    reassembler.push(record as AuditRecord, { file: relative, offset: 0, line: index + 1 });
  });
  reassembler.finish();
  return { events, late };
}

describe('Reassembler', () => {
  it('groups go-libaudit normal.log into events of 2/5/5/4/1 records without EOE', () => {
    expect(assemble('go-libaudit/normal.log').events.map((e) => e.records.length)).toEqual([2, 5, 5, 4, 1]);
  });

  it('groups out_of_order.log the same although records of 60 and 61 arrive after later events', () => {
    const { events, late } = assemble('go-libaudit/out_of_order.log');
    expect(events.map((e) => e.records.length)).toEqual([2, 5, 5, 4, 1]);
    expect(events.map((e) => e.serial)).toEqual([58, 59, 60, 61, 62]);
    expect(late).toEqual([]);
  });

  it('keeps the interleaved serials of test3.log apart and records where each record was read', () => {
    const { events } = assemble('audit-userspace/test3.log');
    for (const event of events) {
      expect(new Set(event.records.map((r) => r.id))).toEqual(new Set([event.id]));
      expect(event.positions).toHaveLength(event.records.length);
      expect(event.node).toBe('auditdtest.a1959.org');
    }
  });

  it('emits an event once the stream is far enough past it, and reports its stragglers as late', () => {
    const limits = { ...DEFAULT_REASSEMBLY_LIMITS, completeAfterSerials: 0 };
    const { events, late } = assemble('go-libaudit/out_of_order.log', limits);
    // With no tolerance, the PATH of 60 that follows 61's SYSCALL comes too late.
    expect(late).toContain('1492037291.038:60');
    expect(events.find((e) => e.serial === 60)!.records.length).toBe(4);
  });

  it('does not complete an event just because the next one is seconds later in log time', () => {
    // out_of_order.log: 61 is 7.8 s after 60, yet a record of 60 follows 61's first record.
    const { events } = assemble('go-libaudit/out_of_order.log');
    expect(events[3]!.sec - events[2]!.sec).toBeGreaterThan(5);
    expect(events[2]!.records.length).toBe(5);
  });

  it('bounds the events in flight', () => {
    const limits = { ...DEFAULT_REASSEMBLY_LIMITS, maxEventsInFlight: 1 };
    const events: AssembledEvent[] = [];
    const reassembler = new Reassembler({ onEvent: (e) => events.push(e), onLateRecord: () => undefined }, limits);
    const lines = traceLines('audit-userspace/test3.log').filter((l) => l.startsWith('node='));
    lines.forEach((line, i) => {
      reassembler.push(parseRecord(line) as AuditRecord, { file: 'x', offset: i });
      expect(reassembler.inFlight).toBeLessThanOrEqual(2);
    });
    expect(reassembler.oldestPendingPosition()).toBeDefined();
    reassembler.finish();
    expect(reassembler.oldestPendingPosition()).toBeUndefined();
  });

  it('measures serial distance across the 2^32 wrap', () => {
    expect(serialDistance(4294967295, 1)).toBe(2);
    expect(serialDistance(5, 3)).toBe(0);
  });
});
