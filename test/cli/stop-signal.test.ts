import { describe, expect, it } from 'vitest';
import { parseDurationS, stopSignal } from '../../src/cli/commands/stop-signal.js';
import { UsageError } from '../../src/cli/user-error.js';
import { cliInProcess } from './cli-in-process.js';

describe('--duration of capture, watch and ingest --follow (one parser)', () => {
  it('accepts positive seconds, fractions included, and leaves an absent duration undefined', () => {
    expect(parseDurationS('1.5')).toBe(1.5);
    expect(parseDurationS('30')).toBe(30);
    expect(parseDurationS(undefined)).toBeUndefined();
  });

  it('rejects zero, negatives, units, blanks and infinity with a usage error naming the value', () => {
    for (const bad of ['0', '-1', '5s', '', ' ', 'Infinity', 'NaN']) {
      expect(() => parseDurationS(bad)).toThrow(UsageError);
      expect(() => parseDurationS(bad)).toThrow(`--duration must be a positive number of seconds, got '${bad}'`);
    }
  });

  it('gives every command the same message and exit status 2', async () => {
    for (const args of [['capture', '-o', '/tmp/never.cap'], ['watch', '--db', '/tmp/never.db'], ['ingest', '--follow', '/tmp/never.log']]) {
      const r = await cliInProcess(...args, '--duration', '5s');
      expect(r.code).toBe(2);
      expect(r.err).toContain(`--duration must be a positive number of seconds, got '5s'`);
    }
  });

  it('aborts its signal after the duration', async () => {
    const stop = stopSignal(0.05);
    try {
      await new Promise((r) => setTimeout(r, 150));
      expect(stop.signal.aborted).toBe(true);
    } finally {
      stop.dispose();
    }
  });
});
