import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { takeWaitOption } from '../../src/cli/wait-option.js';
import { holderState, thisProcessAsHolder } from '../../src/ingest/writer-lock-holder.js';

describe('holderState: is the recorded writer still running? (real /proc)', () => {
  it('calls this live process alive, and its record with another start time or boot id stale', () => {
    const me = thisProcessAsHolder('proc-tree ingest x');
    expect(me.startTicks).toMatch(/^\d+$/);
    expect(holderState(me)).toEqual({ alive: true });
    const reused = { ...me, startTicks: String(BigInt(me.startTicks) - 1n) };
    expect(holderState(reused)).toEqual({ alive: false, why: `pid ${me.pid} is now another process (it started after the holder)` });
    const beforeReboot = { ...me, bootId: '00000000-0000-0000-0000-000000000000' };
    expect(holderState(beforeReboot)).toEqual({ alive: false, why: 'the machine has rebooted since' });
  });

  it('calls a process that has exited stale', async () => {
    const child = spawn('/bin/true');
    await once(child, 'exit');
    const holder = { ...thisProcessAsHolder('x'), pid: child.pid! };
    expect(holderState(holder)).toEqual({ alive: false, why: `pid ${child.pid} is no longer running` });
  });

  it('cannot look up a holder on another machine: it counts as alive', () => {
    expect(holderState({ ...thisProcessAsHolder('x'), hostname: 'some-other-host.invalid', pid: 999_999_999 })).toEqual({ alive: true });
  });
});

describe('--wait [SECONDS]', () => {
  it('takes a number after it, waits forever without one, and leaves INPUT alone', () => {
    expect(takeWaitOption(['--wait', '30', 'logs/'])).toEqual({ args: ['logs/'], wait: 30 });
    expect(takeWaitOption(['--wait=0.5', 'logs/'])).toEqual({ args: ['logs/'], wait: 0.5 });
    expect(takeWaitOption(['--wait', 'logs/'])).toEqual({ args: ['logs/'], wait: Number.POSITIVE_INFINITY });
    expect(takeWaitOption(['logs/', '--wait'])).toEqual({ args: ['logs/'], wait: Number.POSITIVE_INFINITY });
    expect(takeWaitOption(['--db', 'h.db', 'logs/'])).toEqual({ args: ['--db', 'h.db', 'logs/'], wait: undefined });
    expect(takeWaitOption(['--', '--wait'])).toEqual({ args: ['--', '--wait'], wait: undefined });
    expect(() => takeWaitOption(['--wait=soon'])).toThrow(/--wait takes a number of seconds/);
  });
});
