import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { parseProcEntry, readProcEntry } from '../../src/proc/read-proc-entry.js';
import { readProcStartTimeNs } from '../../src/proc/start-time.js';
import { userName } from '../../src/proc/user-names.js';
import { useLiveChain, startSleep } from '../tree/live-chain-fixture.js';

const copyRoot = mkdtempSync(join(tmpdir(), 'proc-tree-procroot-'));
const chain = useLiveChain();
afterAll(() => {
  rmSync(copyRoot, { recursive: true, force: true });
});

describe('readProcEntry on the real /proc', () => {
  test('reads a sleep child: name, parent, argv, exe, user, start', () => {
    const entry = readProcEntry(chain.sleepA);
    expect(entry.ok).toBe(true);
    if (!entry.ok) return;
    expect(entry.node).toEqual({ ppid: chain.inner, cmd: 'sleep', startTimeNs: readProcStartTimeNs(chain.sleepA) });
    expect(entry.info).toMatchObject({
      pid: chain.sleepA,
      ppid: chain.inner,
      cmd: 'sleep',
      argv: ['sleep', '300'],
      exe: readlinkSync(`/proc/${chain.sleepA}/exe`),
      uid: process.getuid!(),
      euid: process.geteuid!(),
      user: userName(process.getuid!()),
    });
    expect(entry.info.exe).toMatch(/\/sleep$/);
  });

  test('keeps a name with spaces and ) as the kernel has it', () => {
    const entry = readProcEntry(chain.inner);
    expect(entry.ok && entry.info.cmd).toBe(chain.innerComm);
    expect(entry.ok && entry.node.ppid).toBe(chain.outer);
  });

  test('a kernel thread has no exe and no argv', () => {
    const entry = readProcEntry(2);
    expect(entry.ok && entry.info).toMatchObject({ pid: 2, ppid: 0, exe: '', argv: [], cmd: 'kthreadd' });
  });

  test('an exited process is reported as gone', async () => {
    const sleeper = await startSleep();
    await sleeper.stop();
    expect(readProcEntry(sleeper.pid)).toMatchObject({ ok: false, problem: 'gone' });
    expect(parseProcEntry(sleeper.pid)).toBeUndefined();
  });

  test('a thread id is refused with the process it belongs to', () => {
    // Node always runs helper threads (V8 platform, libuv): take one of ours.
    const tid = readdirSync(`/proc/${process.pid}/task`).map(Number).find((t) => t !== process.pid)!;
    expect(readProcEntry(tid)).toMatchObject({ ok: false, problem: 'thread', tgid: process.pid });
    expect(parseProcEntry(tid)).toBeUndefined();
  });

  test('parseProcEntry returns the same node and info as readProcEntry', () => {
    const entry = readProcEntry(chain.sleepB);
    expect(parseProcEntry(chain.sleepB)).toEqual(entry.ok ? [entry.node, entry.info] : undefined);
  });
});

describe('readProcEntry with an injected proc root', () => {
  test('reads a copy of a real process directory the same way as the live one', () => {
    const pid = chain.inner;
    const dir = join(copyRoot, String(pid));
    mkdirSync(dir);
    for (const file of ['stat', 'status', 'cmdline']) writeFileSync(join(dir, file), readFileSync(`/proc/${pid}/${file}`));
    symlinkSync(readlinkSync(`/proc/${pid}/exe`), join(dir, 'exe'));
    expect(readProcEntry(pid, { procRoot: copyRoot })).toEqual(readProcEntry(pid));
  });

  test('a damaged stat file is unreadable, not a crash', () => {
    const dir = join(copyRoot, '424242');
    mkdirSync(dir);
    writeFileSync(join(dir, 'stat'), '424242 (trunc');
    copyFileSync(`/proc/${process.pid}/status`, join(dir, 'status'));
    expect(readProcEntry(424242, { procRoot: copyRoot })).toMatchObject({ ok: false, problem: 'unreadable' });
  });

  test('a directory that cannot be read is unreadable, with the reason', () => {
    const dir = join(copyRoot, '434343');
    mkdirSync(join(dir, 'stat'), { recursive: true }); // reading a directory fails with EISDIR
    const entry = readProcEntry(434343, { procRoot: copyRoot });
    expect(entry).toMatchObject({ ok: false, problem: 'unreadable' });
    expect(!entry.ok && entry.detail).toMatch(/EISDIR/);
  });
});
