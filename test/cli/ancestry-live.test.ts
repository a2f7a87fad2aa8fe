import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parseStat } from '../../src/proc/parse-stat.js';
import { readProcStartTimeNs, sameStartTime } from '../../src/proc/start-time.js';
import { formatTimeNs } from '../../src/time/format-time.js';
import { useLiveChain, startSleep } from '../tree/live-chain-fixture.js';
import { runCli } from './cli-runner.js';

const chain = useLiveChain();

function kernelAncestry(pid: number): number[] {
  const pids: number[] = [];
  for (let p = pid; p !== 0; p = parseStat(readFileSync(`/proc/${p}/stat`, 'utf8'))!.ppid) pids.push(p);
  return pids;
}

describe('proc-tree ancestry PID (live)', () => {
  test('prints a table, self first, up to init', async () => {
    const { code, stdout, stderr } = await runCli(['ancestry', String(chain.sleepA)]);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    const [header, ...rows] = stdout.trimEnd().split('\n');
    expect(header).toMatch(/^PID\s+PPID\s+USER\s+START\s+CMD\s+EXE$/);
    expect(rows.map((r) => Number(r.split(/\s+/)[0]))).toEqual(kernelAncestry(chain.sleepA));
    expect(rows[0]).toContain('"sleep"');
    expect(rows[1]).toContain(JSON.stringify(chain.innerComm));
    expect(rows[2]).toContain(JSON.stringify(chain.outerComm));
  });

  test('--json gives pid and the chain with every documented field', async () => {
    const { code, stdout } = await runCli(['ancestry', String(chain.sleepB), '--json']);
    expect(code).toBe(0);
    const doc = JSON.parse(stdout) as { pid: number; chain: Record<string, unknown>[] };
    expect(doc.pid).toBe(chain.sleepB);
    expect(doc.chain.map((l) => l.pid)).toEqual(kernelAncestry(chain.sleepB));
    const [self, parent] = doc.chain;
    expect(Object.keys(self!)).toEqual(expect.arrayContaining(['pid', 'ppid', 'cmd', 'exe', 'user', 'uid', 'start', 'startNs']));
    expect(self).toMatchObject({ pid: chain.sleepB, ppid: chain.inner, cmd: 'sleep', argv: ['sleep', '301'], user: 'root', uid: 0 });
    expect(self!.exe).toMatch(/\/sleep$/);
    expect(self!.start).toBe(formatTimeNs(BigInt(self!.startNs as string)));
    expect(sameStartTime(BigInt(self!.startNs as string), readProcStartTimeNs(chain.sleepB)!)).toBe(true);
    expect(parent).toMatchObject({ pid: chain.inner, ppid: chain.outer, cmd: chain.innerComm });
  });

  test.each([
    [['ancestry', 'abc'], 2, /PID must be a positive integer, got 'abc'/],
    [['ancestry', '0'], 2, /PID must be a positive integer/],
    [['ancestry', '12x'], 2, /PID must be a positive integer/],
    [['ancestry'], 2, /missing PID/],
    [['ancestry', '1', '2'], 2, /expected one PID/],
    [['ancestry', '-5'], 2, /unknown option -5/],
    [['ancestry', '999999999'], 1, /no process with pid 999999999/],
  ])('%j fails with exit %i and one line', async (args, exitCode, message) => {
    const { code, stdout, stderr } = await runCli(args);
    expect(code).toBe(exitCode);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  test('a thread id is refused and the owning process is named', async () => {
    const tid = readdirSync(`/proc/${process.pid}/task`).map(Number).find((t) => t !== process.pid)!;
    const { code, stderr } = await runCli(['ancestry', String(tid)]);
    expect(code).toBe(1);
    expect(stderr.trimEnd()).toBe(`proc-tree ancestry: ${tid} is a thread of process ${process.pid}, not a process: run 'proc-tree ancestry ${process.pid}'`);
  });

  test('a process that exited is reported as gone, exit 1', async () => {
    const sleeper = await startSleep();
    await sleeper.stop();
    const { code, stderr } = await runCli(['ancestry', String(sleeper.pid)]);
    expect(code).toBe(1);
    expect(stderr.trimEnd()).toBe(`proc-tree ancestry: no process with pid ${sleeper.pid} (it may have exited); for a past process use --at TIME`);
  });
});
