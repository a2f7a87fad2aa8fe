import { readdirSync } from 'node:fs';
import { DEFAULT_PROC_ROOT, type ProcOptions } from './proc-options.js';

/**
 * Pids of every process (thread group) currently in /proc, ascending. Threads live under
 * /proc/PID/task and are not listed, which is what a process tree wants.
 */
export function listPids(options: ProcOptions = {}): number[] {
  const pids: number[] = [];
  for (const name of readdirSync(options.procRoot ?? DEFAULT_PROC_ROOT)) {
    if (/^[1-9]\d*$/.test(name)) pids.push(Number(name));
  }
  return pids.sort((a, b) => a - b);
}
