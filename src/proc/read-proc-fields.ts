import { readFileSync } from 'node:fs';
import { parseStatus } from './parse-status.js';
import { pidDir, type ProcOptions } from './proc-options.js';
import { userName } from './user-names.js';

/**
 * The task name from /proc/PID/comm (crate: `proc::read_proc_comm`), or undefined when
 * the process does not exist. Only the trailing newline the kernel adds is removed.
 */
export function readProcComm(pid: number, options: ProcOptions = {}): string | undefined {
  try {
    const text = readFileSync(`${pidDir(pid, options)}/comm`, 'utf8');
    return text.endsWith('\n') ? text.slice(0, -1) : text;
  } catch {
    return undefined;
  }
}

/** User (of the real uid), ppid and tgid from /proc/PID/status (crate: `proc::read_proc_status_fields`). */
export function readProcStatusFields(
  pid: number,
  options: ProcOptions = {},
): { user: string; ppid: number; tgid: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`${pidDir(pid, options)}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const status = parseStatus(text);
  return status === undefined ? undefined : { user: userName(status.uids[0]), ppid: status.ppid, tgid: status.tgid };
}
