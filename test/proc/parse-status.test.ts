import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parseStatus } from '../../src/proc/parse-status.js';
import { useLiveChain } from '../tree/live-chain-fixture.js';

const chain = useLiveChain();

describe('parseStatus on real /proc/PID/status', () => {
  test('reads the real and effective uid of this process', () => {
    const status = parseStatus(readFileSync('/proc/self/status', 'utf8'))!;
    expect(status.uids[0]).toBe(process.getuid!());
    expect(status.uids[1]).toBe(process.geteuid!());
    expect(status.gids[0]).toBe(process.getgid!());
    expect(status.tgid).toBe(process.pid);
  });

  test('reads name and ppid of a renamed process', () => {
    const status = parseStatus(readFileSync(`/proc/${chain.inner}/status`, 'utf8'))!;
    expect(status).toMatchObject({ name: chain.innerComm, ppid: chain.outer, tgid: chain.inner });
  });

  test('rejects text without Uid/Gid lines', () => {
    const text = readFileSync('/proc/self/status', 'utf8').split('\n').filter((l) => !l.startsWith('Uid:')).join('\n');
    expect(parseStatus(text)).toBeUndefined();
    expect(parseStatus('')).toBeUndefined();
  });
});
