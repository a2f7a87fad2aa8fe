import type { ProcOptions } from '../proc/proc-options.js';

/** How handleEvent may use the machine it runs on. */
export interface HandleEventOptions extends ProcOptions {
  /**
   * Live source (proc connector, a running auditd): fill what the event lacks (the proc
   * connector's exec carries no name at all) from /proc and /etc/passwd. Only data of a
   * process that already existed at the event's time is used. Leave false (the default)
   * when replaying logs: /proc then describes other processes.
   */
  readProc?: boolean;
}
