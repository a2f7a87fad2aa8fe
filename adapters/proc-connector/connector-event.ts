/**
 * One decoded proc connector message, before any interpretation: field names follow the
 * kernel's struct proc_event (include/uapi/linux/cn_proc.h). Pids here are the kernel's
 * view: `pid` is the thread id, `tgid` the process id.
 */

/** `what` codes from include/uapi/linux/cn_proc.h (enum proc_cn_event). */
export const PROC_EVENT_WHAT = {
  NONE: 0x0,
  FORK: 0x1,
  EXEC: 0x2,
  UID: 0x4,
  GID: 0x40,
  SID: 0x80,
  PTRACE: 0x100,
  COMM: 0x200,
  /** A listener filter bit (exit with non-zero status); the kernel still sends EXIT. */
  NONZERO_EXIT: 0x20000000,
  COREDUMP: 0x40000000,
  EXIT: 0x80000000,
} as const;

/** Where a message came from and when, common to every kind. */
export interface ConnectorHeader {
  /** Byte offset of the message's nlmsghdr in the stream (capture file or live batch). */
  offset: number;
  /** CPU that sent it. The kernel numbers messages per CPU, so `cpu/seq` identifies one. */
  cpu: number;
  /** Per-CPU message counter (cn_msg.seq); a gap means messages we never received. */
  seq: number;
  /** CLOCK_MONOTONIC ns (ktime_get_ns) when the kernel built the event. */
  monotonicNs: bigint;
}

export type ConnectorPayload =
  /** Reply to our LISTEN/IGNORE (what = NONE); err is a positive errno, 0 = accepted. */
  | { what: 'ack'; err: number }
  | { what: 'fork'; parentPid: number; parentTgid: number; childPid: number; childTgid: number }
  | { what: 'exec'; pid: number; tgid: number }
  | { what: 'uid'; pid: number; tgid: number; ruid: number; euid: number }
  | { what: 'gid'; pid: number; tgid: number; rgid: number; egid: number }
  | { what: 'sid'; pid: number; tgid: number }
  /** tracerTgid 0 = detached. */
  | { what: 'ptrace'; pid: number; tgid: number; tracerPid: number; tracerTgid: number }
  | { what: 'comm'; pid: number; tgid: number; comm: string }
  | { what: 'coredump'; pid: number; tgid: number; parentPid: number; parentTgid: number }
  /**
   * `status` is task->exit_code in wait(2) form ((code << 8) | signal); `exitSignal` is the
   * signal the parent is sent (SIGCHLD normally, not a cause of death). The parent is the
   * real parent at exit time, before this task's own children are reparented.
   */
  | {
      what: 'exit';
      pid: number;
      tgid: number;
      status: number;
      exitSignal: number;
      parentPid: number;
      parentTgid: number;
    }
  | { what: 'unknown'; code: number };

export type ConnectorEvent = ConnectorHeader & ConnectorPayload;
