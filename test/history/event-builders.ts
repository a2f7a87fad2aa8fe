import type { ExecEvent, ExitEvent, ForkEvent, ObservedEvent, ProcEvent } from '../../src/events/proc-event.js';

/** Small explicit ProcEvent sequences for the builder's rules (inputs, not mocks). */
export const S = 1_000_000_000n;
export const T0 = 1_764_050_000n * S;
export const at = (ms: number): bigint => T0 + BigInt(Math.round(ms * 1000)) * 1_000n;

let serial = 0;
const evidence = () => ({ file: 'seq.log', offset: ++serial * 100, line: serial, id: `seq:${serial}` });

export function fork(ms: number, parentPid: number, childPid: number, extra: Partial<ForkEvent> = {}): ForkEvent {
  return { kind: 'fork', timestampNs: at(ms), parentPid, childPid, evidence: evidence(), ...extra };
}
export function exec(ms: number, pid: number, ppid: number | undefined, argv: string[], extra: Partial<ExecEvent> = {}): ExecEvent {
  const e: ExecEvent = { kind: 'exec', timestampNs: at(ms), pid, image: { exe: `/usr/bin/${argv[0]}`, argv, comm: argv[0]! }, evidence: evidence(), ...extra };
  if (ppid !== undefined) e.ppid = ppid;
  return e;
}
export function exit(ms: number, pid: number, ppid?: number, extra: Partial<ExitEvent> = {}): ExitEvent {
  const e: ExitEvent = { kind: 'exit', timestampNs: at(ms), pid, certainty: 'observed', evidence: evidence(), ...extra };
  if (ppid !== undefined) e.ppid = ppid;
  return e;
}
export function seen(ms: number, pid: number, ppid: number | undefined, comm?: string, extra: Partial<ObservedEvent> = {}): ObservedEvent {
  const e: ObservedEvent = { kind: 'observed', timestampNs: at(ms), pid, evidence: evidence(), ...extra };
  if (ppid !== undefined) e.ppid = ppid;
  if (comm !== undefined) e.image = { comm };
  return e;
}

/**
 * Shapes from samples/auditd/pid-namespace: bash(100) -> unshare(5000) -> sh(5001), pid 1 of
 * a new pid namespace, whose forks return namespace-local pids (2, 3, ...). A host sleep
 * (5002) runs beside it; ns_last_pid steered one fork inside to return 5002 too.
 */
export function namespacedWork(base: ProcEvent[]): ProcEvent[] {
  return [
    ...base,
    fork(10, 100, 5002),
    exec(11, 5002, 100, ['sleep', '3']),
    fork(20, 100, 5000),
    exec(21, 5000, 100, ['unshare', '--pid', '--fork']),
    fork(30, 5000, 5001),
    exec(31, 5001, 5000, ['sh', '-c', '...']),
    fork(40, 5001, 2, { parentPpid: 5000 }), // namespace-local: the child is 5003
    fork(41, 5001, 3, { parentPpid: 5000 }), // ... and 5004
    exec(45, 5004, 5001, ['cat']),
    exec(46, 5003, 5001, ['sleep', '0.3']),
    exit(400, 5003, 5001),
    exit(401, 5004, 5001),
    // vfork: the child's exec is written before its parent's vfork record.
    exec(500, 5005, 5001, ['unshare', '--pid', '--fork']),
    fork(499, 5001, 5002, { parentPpid: 5000 }), // returns the host sleep's pid
    fork(510, 5005, 5000, { parentPpid: 5001 }), // nested namespace: returns the outer unshare's pid
    exec(512, 5006, 5005, ['sh', '-c', '...']),
    fork(520, 5006, 2, { parentPpid: 5005 }),
    exec(521, 5007, 5006, ['sleep', '0.3']),
    exit(900, 5007, 5006),
    exit(910, 5006, 5005),
    exit(920, 5005, 5001),
    exit(930, 5001, 5000),
    exit(940, 5000, 100),
    exit(3000, 5002, 100),
  ];
}

export type { ProcEvent };
