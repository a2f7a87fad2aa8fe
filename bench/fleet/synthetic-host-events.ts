/**
 * The synthetic host of the history benchmarks (ProcEvents straight into the history
 * builder: allowed for scale benchmarks only): init -> 64 long-lived sessions (sshd -> bash)
 * that fork short-lived commands, a fifth of which fork a child of their own; pids are
 * allocated sequentially under pid_max 32768, so each pid is reused ~N/32768 times (the
 * index must pick the right instance among dozens). Deterministic: the same seed gives the
 * same events, so SQLite and PostgreSQL histories built from it are the same history.
 */
import type { ProcEvent } from '../../src/events/proc-event.js';

const PID_MAX = 32_768;
const SESSIONS = 64;
const COMMANDS = [['ls', '-l'], ['grep', '-r', 'needle', '.'], ['git', 'status'], ['make', '-j2'], ['python3', 'script.py'], ['curl', '-s', 'https://example.org/']];

/** A pid and a time inside its life: where ancestry is asked. */
export interface Sample {
  pid: number;
  atNs: bigint;
}

export interface SyntheticHost {
  /** The events, in time order (a generator: millions are never held at once). */
  events: Generator<ProcEvent>;
  /** Filled while `events` runs: up to `maxSamples` pids and times inside their lives. */
  samples: Sample[];
  /** Instances created so far (the target once `events` is done). */
  instances(): number;
}

export function syntheticHost(targetInstances: number, maxSamples: number): SyntheticHost {
  let seed = 42;
  const rand = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  let nextPid = 300;
  const live = new Set<number>([1]);
  const allocPid = (): number => {
    for (;;) {
      nextPid = nextPid >= PID_MAX - 1 ? 300 : nextPid + 1;
      if (!live.has(nextPid)) {
        live.add(nextPid);
        return nextPid;
      }
    }
  };
  let t = 1_764_000_000_000_000_000n;
  const tick = (): bigint => (t += BigInt(1 + Math.floor(rand() * 2_000_000))); // up to 2 ms apart
  let line = 0;
  const ev = () => ({ file: 'synthetic.log', offset: line * 200, line: ++line, id: `${t / 1_000_000n}:${line}` });
  const samples: Sample[] = [];
  let instances = 1 + SESSIONS * 2;

  function* events(): Generator<ProcEvent> {
    yield { kind: 'observed', timestampNs: tick(), pid: 1, ppid: 0, image: { exe: '/sbin/init', argv: ['/sbin/init'], comm: 'systemd' }, evidence: ev() };
    const shells: number[] = [];
    for (let i = 0; i < SESSIONS; i++) {
      const sshd = allocPid();
      yield { kind: 'fork', timestampNs: tick(), parentPid: 1, childPid: sshd, evidence: ev() };
      yield { kind: 'exec', timestampNs: tick(), pid: sshd, ppid: 1, image: { exe: '/usr/sbin/sshd', argv: ['sshd: user@pts/' + i], comm: 'sshd' }, creds: { uid: 0 }, evidence: ev() };
      const bash = allocPid();
      yield { kind: 'fork', timestampNs: tick(), parentPid: sshd, childPid: bash, evidence: ev() };
      yield { kind: 'exec', timestampNs: tick(), pid: bash, ppid: sshd, image: { exe: '/usr/bin/bash', argv: ['-bash'], comm: 'bash' }, creds: { uid: 1000, user: 'user' }, evidence: ev() };
      shells.push(bash);
    }
    while (instances < targetInstances) {
      const shell = shells[Math.floor(rand() * shells.length)]!;
      const child = allocPid();
      yield { kind: 'fork', timestampNs: tick(), parentPid: shell, childPid: child, evidence: ev() };
      const argv = COMMANDS[Math.floor(rand() * COMMANDS.length)]!;
      yield { kind: 'exec', timestampNs: tick(), pid: child, ppid: shell, image: { exe: `/usr/bin/${argv[0]}`, argv, comm: argv[0]!, cwd: '/home/user' }, creds: { uid: 1000, user: 'user' }, evidence: ev() };
      instances++;
      if (rand() < 0.2 && instances < targetInstances) {
        const grandchild = allocPid();
        yield { kind: 'fork', timestampNs: tick(), parentPid: child, childPid: grandchild, evidence: ev() };
        yield { kind: 'exec', timestampNs: tick(), pid: grandchild, ppid: child, image: { exe: '/usr/bin/sh', argv: ['sh', '-c', 'helper'], comm: 'sh' }, evidence: ev() };
        const mid = tick();
        if (samples.length < maxSamples && rand() < 0.1) samples.push({ pid: grandchild, atNs: mid });
        yield { kind: 'exit', timestampNs: tick(), pid: grandchild, ppid: child, exitCode: 0, certainty: 'observed', evidence: ev() };
        live.delete(grandchild);
        instances++;
      }
      const mid = tick();
      if (samples.length < maxSamples && rand() < 0.05) samples.push({ pid: child, atNs: mid });
      yield { kind: 'exit', timestampNs: tick(), pid: child, ppid: shell, exitCode: 0, certainty: 'observed', evidence: ev() };
      live.delete(child);
    }
  }
  return { events: events(), samples, instances: () => instances };
}
