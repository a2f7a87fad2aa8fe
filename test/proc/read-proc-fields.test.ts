import { expect, test } from 'vitest';
import { readProcComm, readProcStatusFields } from '../../src/proc/read-proc-fields.js';
import { userName } from '../../src/proc/user-names.js';
import { useLiveChain, startSleep } from '../tree/live-chain-fixture.js';

const chain = useLiveChain();

test('readProcComm gives the exact renamed task name', () => {
  expect(readProcComm(chain.inner)).toBe(chain.innerComm);
  expect(readProcComm(chain.outer)).toBe(chain.outerComm);
  expect(readProcComm(chain.sleepA)).toBe('sleep');
});

test('readProcStatusFields gives user, ppid and tgid', () => {
  expect(readProcStatusFields(chain.sleepA)).toEqual({ user: userName(process.getuid!()), ppid: chain.inner, tgid: chain.sleepA });
  expect(readProcStatusFields(1)?.ppid).toBe(0);
});

test('both are undefined for an exited process', async () => {
  const sleeper = await startSleep();
  await sleeper.stop();
  expect(readProcComm(sleeper.pid)).toBeUndefined();
  expect(readProcStatusFields(sleeper.pid)).toBeUndefined();
});
