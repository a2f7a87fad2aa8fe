import type { AssembledEvent } from '../../adapters/auditd/reassemble.js';
import { decimalField } from '../../adapters/auditd/decode-value.js';

/** Who acted in an audit event, and when: what the ancestry of the event is asked for. */
export interface EventSubject {
  /** Event time: `SEC.MS` of its audit id, in ns since the epoch. */
  timeNs: bigint;
  serial: number;
  /** The acting process: `pid=` of its SYSCALL record, else of its first record carrying one. Undefined for events with none (DAEMON_*, CONFIG_CHANGE of the kernel, ...). */
  pid?: number;
}

const NS_PER_S = 1_000_000_000n;
const NS_PER_MS = 1_000_000n;

export function eventSubject(event: AssembledEvent): EventSubject {
  const out: EventSubject = { timeNs: BigInt(event.sec) * NS_PER_S + BigInt(event.ms) * NS_PER_MS, serial: event.serial };
  const pid = actingPid(event);
  if (pid !== undefined) out.pid = pid;
  return out;
}

function actingPid(event: AssembledEvent): number | undefined {
  // The SYSCALL record names the task that made the call; other records of the same event
  // may carry other pids (OBJ_PID: the target of a kill or ptrace).
  const syscall = event.records.find((r) => r.type === 'SYSCALL');
  const fromSyscall = pidOf(syscall?.fields?.pid);
  if (fromSyscall !== undefined) return fromSyscall;
  for (const record of event.records) {
    if (record.type === 'OBJ_PID') continue;
    const pid = pidOf(record.fields?.pid);
    if (pid !== undefined) return pid;
  }
  return undefined;
}

function pidOf(raw: string | undefined): number | undefined {
  const pid = decimalField(raw);
  return pid !== undefined && pid > 0 ? pid : undefined;
}
