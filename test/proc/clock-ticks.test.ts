import { execFileSync } from 'node:child_process';
import { expect, test } from 'vitest';
import { clockTicksPerSecond } from '../../src/proc/clock-ticks.js';

test('agrees with getconf CLK_TCK on this machine', () => {
  const expected = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  expect(clockTicksPerSecond()).toBe(expected);
});

test('is looked up once and then stable', () => {
  expect(clockTicksPerSecond()).toBe(clockTicksPerSecond());
});
