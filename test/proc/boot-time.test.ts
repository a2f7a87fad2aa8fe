import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { bootTimeNs } from '../../src/proc/boot-time.js';

const NS = 1_000_000_000n;
// Allowance for Date.now()'s millisecond resolution and the reads themselves.
const SLACK_NS = 20_000_000n;

test('lies within the whole second that /proc/stat btime truncates to', () => {
  const btime = BigInt(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))![1]!);
  const boot = bootTimeNs();
  expect(boot).toBeGreaterThanOrEqual(btime * NS - SLACK_NS);
  expect(boot).toBeLessThan((btime + 1n) * NS + SLACK_NS);
});

test('plus /proc/uptime gives the current wall-clock time', () => {
  const boot = bootTimeNs();
  const [seconds, centis] = readFileSync('/proc/uptime', 'utf8').split(' ')[0]!.split('.');
  const now = BigInt(Date.now()) * 1_000_000n;
  const uptimeNs = BigInt(seconds!) * NS + BigInt(centis!) * 10_000_000n;
  const diff = now - (boot + uptimeNs);
  // uptime is truncated to 10 ms, so now is 0..10 ms past boot + uptime.
  expect(diff).toBeGreaterThanOrEqual(-SLACK_NS);
  expect(diff).toBeLessThan(10_000_000n + SLACK_NS);
});

test('is memoized: the same value every call', () => {
  expect(bootTimeNs()).toBe(bootTimeNs());
});

test('is a whole millisecond', () => {
  expect(bootTimeNs() % 1_000_000n).toBe(0n);
});

test('separate processes measure the same value (needs the build: npx tsc -p .)', () => {
  const built = fileURLToPath(new URL('../../dist/src/proc/boot-time.js', import.meta.url));
  expect(existsSync(built)).toBe(true);
  const script = `import(${JSON.stringify(built)}).then((m) => console.log(String(m.bootTimeNs())))`;
  const values = [0, 1, 2].map(() => execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }).trim());
  expect(new Set(values).size).toBe(1);
  expect(BigInt(values[0]!)).toBe(bootTimeNs());
});
