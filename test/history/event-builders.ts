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
export type { ProcEvent };
