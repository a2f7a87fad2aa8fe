import { execFile } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { readProcStartTimeNs, sameStartTime } from '../../src/proc/start-time.js';
import { formatTimeNs } from '../../src/time/format-time.js';
import { useLiveChain } from '../tree/live-chain-fixture.js';
import { REPO_ROOT, runCli } from './cli-runner.js';

const chain = useLiveChain();

describe('proc-tree snapshot', () => {
  test('prints the live tree pstree-style, with our chain under this test process', async () => {
    const { code, stdout, stderr } = await runCli(['snapshot']);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/\(1\)$/); // init's tree comes first
    const outer = lines.findIndex((l) => l.endsWith(`─${chain.outerComm}(${chain.outer})`));
    expect(outer).toBeGreaterThan(0);
    const indent = lines[outer]!.slice(0, lines[outer]!.indexOf(chain.outerComm) - 2);
    const below = (indent + (lines[outer]!.includes('└─' + chain.outerComm) ? '  ' : '│ ')) as string;
    const [first, second] = [chain.sleepA, chain.sleepB].sort((a, b) => a - b);
    expect(lines.slice(outer + 1, outer + 4)).toEqual([
      `${below}└─${chain.innerComm}(${chain.inner})`,
      `${below}  ├─sleep(${first})`,
      `${below}  └─sleep(${second})`,
    ]);
    expect(lines.some((l) => l === 'kthreadd(2)')).toBe(true);
  });

  test('--json lists every process with exact start times', async () => {
    const { code, stdout } = await runCli(['snapshot', '--json']);
    expect(code).toBe(0);
    const doc = JSON.parse(stdout) as { takenAt: string; takenAtNs: string; processes: Record<string, unknown>[] };
    expect(doc.takenAt).toBe(formatTimeNs(BigInt(doc.takenAtNs)));
    const byPid = new Map(doc.processes.map((p) => [p.pid as number, p]));
    expect(byPid.get(chain.inner)).toMatchObject({ ppid: chain.outer, cmd: chain.innerComm, user: 'root', uid: 0 });
    const sleep = byPid.get(chain.sleepA)!;
    expect(sleep).toMatchObject({ ppid: chain.inner, cmd: 'sleep', argv: ['sleep', '300'] });
    expect(sleep.start).toBe(formatTimeNs(BigInt(sleep.startNs as string)));
    // Another process measured boot time on its own: equal up to the documented tolerance.
    expect(sameStartTime(BigInt(sleep.startNs as string), readProcStartTimeNs(chain.sleepA)!)).toBe(true);
    expect(doc.processes.map((p) => p.pid)).toEqual([...byPid.keys()].sort((a, b) => a - b));
  });

  test('an unknown option is a one-line usage error with exit code 2', async () => {
    const { code, stdout, stderr } = await runCli(['snapshot', '--bogus']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^proc-tree snapshot: .*--bogus/);
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  test('ends quietly when its reader goes away (| head -1)', async () => {
    const result = await new Promise<{ code: number | null; out: string; err: string }>((done) => {
      execFile('bash', ['-o', 'pipefail', '-c', `node dist/src/cli/main.js snapshot | head -n 1`], { cwd: REPO_ROOT }, (error, out, err) =>
        done({ code: error === null ? 0 : (error.code as number), out, err }),
      );
    });
    expect(result.code).toBe(0);
    expect(result.out.trimEnd().split('\n')).toHaveLength(1);
    expect(result.err).toBe('');
  });
});
