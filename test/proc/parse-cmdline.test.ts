import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parseCmdline } from '../../src/proc/parse-cmdline.js';
import { useLiveChain } from '../tree/live-chain-fixture.js';

const chain = useLiveChain();

describe('parseCmdline on real /proc/PID/cmdline', () => {
  test('splits NUL-separated arguments', () => {
    expect(parseCmdline(readFileSync(`/proc/${chain.sleepA}/cmdline`, 'utf8'))).toEqual(['sleep', '300']);
    expect(parseCmdline(readFileSync(`/proc/${chain.sleepB}/cmdline`, 'utf8'))).toEqual(['sleep', '301']);
  });

  test('starts with argv[0] of this process', () => {
    expect(parseCmdline(readFileSync('/proc/self/cmdline', 'utf8'))[0]).toBe(process.argv0);
  });

  test('is empty for a kernel thread (kthreadd has no command line)', () => {
    expect(parseCmdline(readFileSync('/proc/2/cmdline', 'utf8'))).toEqual([]);
  });

  test('keeps empty arguments in place', () => {
    expect(parseCmdline('a\0\0b\0')).toEqual(['a', '', 'b']);
  });
});
