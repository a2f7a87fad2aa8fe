import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/user-error.js';
import { formatTimeNs } from '../../src/time/format-time.js';
import { parseTimeNs } from '../../src/time/parse-time.js';

describe('parseTimeNs', () => {
  it('reads epoch seconds with up to nine fraction digits exactly', () => {
    expect(parseTimeNs('1697091526')).toBe(1_697_091_526_000_000_000n);
    expect(parseTimeNs('1697091526.357')).toBe(1_697_091_526_357_000_000n);
    expect(parseTimeNs(' 1697091526.000000001 ')).toBe(1_697_091_526_000_000_001n);
  });

  it('reads ISO-8601 with Z or an offset as the same instant', () => {
    const utc = parseTimeNs('2023-10-12T06:18:46.357Z');
    expect(utc).toBe(parseTimeNs('1697091526.357'));
    expect(parseTimeNs('2023-10-12T08:18:46.357+02:00')).toBe(utc);
    expect(parseTimeNs('2023-10-12 01:18:46.357-0500')).toBe(utc);
    expect(parseTimeNs('2023-10-12T06:18Z')).toBe(parseTimeNs('1697091480'));
  });

  it('round-trips what formatTimeNs prints, nanoseconds included', () => {
    const t = 1_764_000_014_998_999_999n;
    expect(parseTimeNs(formatTimeNs(t))).toBe(t);
  });

  it('takes the time of an audit event id pasted from a log line', () => {
    const expected = parseTimeNs('1697091526.357');
    expect(parseTimeNs('audit(1697091526.357:2638035)')).toBe(expected);
    expect(parseTimeNs('msg=audit(1697091526.357:2638035):')).toBe(expected);
    expect(parseTimeNs('1697091526.357:2638035')).toBe(expected);
  });

  it('refuses a time without a zone instead of guessing the local one', () => {
    expect(() => parseTimeNs('2023-10-12T06:18:46')).toThrow(UsageError);
    expect(() => parseTimeNs('2023-10-12T06:18:46')).toThrow(/zone/);
    expect(() => parseTimeNs('2026-11-25T06:49:49')).toThrow(/add Z for UTC or an offset like \+01:00 \(2026-11-25T06:49:49Z\)/);
    expect(() => parseTimeNs('2026-11-25 06:49:49.5')).toThrow(/add Z for UTC or an offset like \+01:00/);
  });

  it('says how to write nanoseconds pasted as seconds', () => {
    expect(() => parseTimeNs('1697091526357000000')).toThrow(/write 1697091526\.357000000/);
  });

  it('refuses text that is no time at all', () => {
    expect(() => parseTimeNs('yesterday')).toThrow(UsageError);
    expect(() => parseTimeNs('audit(1697091526:1)')).toThrow(UsageError);
  });
});
