import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { commFromPath, commOfImage, emptyInfo, withCreds, withImage } from '../../src/tree/merge-info.js';
import { waitForComm } from './live-chain-fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'proc-tree-comm-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a copy of sleep under `name` and returns the comm the kernel gave it. */
async function kernelCommFor(name: string): Promise<string> {
  const path = join(dir, name);
  copyFileSync('/bin/sleep', path);
  const child = spawn(path, ['30'], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('spawn', resolve));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    const expected = commFromPath(path);
    await waitForComm(child.pid!, expected); // throws if the kernel chose another name
    return readFileSync(`/proc/${child.pid}/comm`, 'utf8').trimEnd();
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
}

test('commFromPath predicts the kernel task name for long, spaced and multibyte names', async () => {
  for (const name of ['short', 'a-much-longer-executable-name', 'x) y (z', 'ééééééééé']) {
    expect(await kernelCommFor(name)).toBe(commFromPath(join(dir, name)));
  }
  expect(commFromPath('/usr/bin/a-much-longer-executable-name')).toBe('a-much-longer-e');
});

test('commOfImage prefers comm, then exe, then argv[0]', () => {
  expect(commOfImage({ comm: 'kworker', exe: '/bin/x' })).toBe('kworker');
  expect(commOfImage({ exe: '/usr/bin/python3.12', argv: ['python'] })).toBe('python3.12');
  expect(commOfImage({ argv: ['/bin/sh', '-c', 'true'] })).toBe('sh');
  expect(commOfImage({})).toBeUndefined();
  expect(commOfImage(undefined)).toBeUndefined();
});

test('withImage and withCreds only overwrite what is known', () => {
  const base = { ...emptyInfo(5, 1, 7n), cmd: 'bash', exe: '/bin/bash', argv: ['bash'], user: 'root', uid: 0, euid: 0 };
  expect(withImage(base, { argv: ['bash', '-l'] })).toMatchObject({ cmd: 'bash', exe: '/bin/bash', argv: ['bash', '-l'] });
  expect(withCreds(base, { euid: 1000 }, false)).toMatchObject({ uid: 0, euid: 1000, user: 'root' });
  expect(withCreds(base, { uid: 0 }, false)).toMatchObject({ uid: 0, user: 'root' });
  expect(withCreds(base, { uid: 65534 }, true).user).not.toBe('root');
});
