/**
 * The contract between every event source and everything downstream.
 *
 * A ProcEvent describes one process-level fact (never a thread-level one: adapters
 * drop thread creation and thread exit, see `ForkEvent.maybeThread` for the one case
 * a source cannot decide). It is decoupled from any source: auditd, the kernel proc
 * connector, a /proc snapshot or a user's own feed all produce the same shapes.
 *
 * Timestamps are wall-clock nanoseconds since the Unix epoch as `bigint`: epoch
 * nanoseconds do not fit a double exactly (2^53 ns is only ~104 days).
 */

/** Where a piece of evidence came from, so an investigator can go back to the raw record. */
export interface EvidenceRef {
  /** Source path as given by the user, `-` for stdin, `netlink` for a live socket. */
  file: string;
  /** Byte offset of the record's first byte in the (decompressed) stream. */
  offset: number;
  /** 1-based line number, for line-oriented sources. */
  line?: number;
  /** The source's own id, e.g. audit `1697091526.357:2638035` or connector `cpu/seq`. */
  id?: string;
}

/** What a process runs: set at exec, inherited across fork. Every field may be unknown. */
export interface ProcessImage {
  exe?: string;
  argv?: string[];
  /** True when argv is known to be incomplete (PROCTITLE cut at 128 bytes, lost EXECVE). */
  argvTruncated?: boolean;
  /** Kernel task name (max 15 bytes). */
  comm?: string;
  cwd?: string;
}

/** Who a process runs as. Names are filled only when the source resolved them. */
export interface Credentials {
  uid?: number;
  euid?: number;
  gid?: number;
  egid?: number;
  /** Audit login uid (`auid`), survives su/sudo. */
  auid?: number;
  user?: string;
  euser?: string;
  auser?: string;
}

interface EventBase {
  /** Wall-clock ns since the epoch. */
  timestampNs: bigint;
  /** Host the event happened on (audit `node=`, `--host`); undefined means the default host. */
  host?: string;
  evidence?: EvidenceRef;
}

/** A new process (not a thread) was created. */
export interface ForkEvent extends EventBase {
  kind: 'fork';
  /** Process id (tgid) of the new process. */
  childPid: number;
  /** Process id (tgid) of the creator. */
  parentPid: number;
  /** The creating thread's tid when it is not the group leader. */
  parentTid?: number;
  /** The creator's own parent as the source saw it at fork time (audit `ppid=`). */
  parentPpid?: number;
  /**
   * The source could not tell a process from a thread (clone3 hides its flags behind a
   * pointer). Consumers keep it pending and confirm it only when the child shows up
   * under its own pid; otherwise it was a thread.
   */
  maybeThread?: boolean;
  /**
   * The child is the init of a new pid namespace (clone with CLONE_NEWPID: how container
   * runtimes start a container). `childPid` is still its pid as the creator sees it, but
   * the pids its own forks return (and its descendants') are local to that namespace.
   * Absent when not known (every source but clone's flags: clone3 hides them in a struct).
   */
  newPidNamespace?: true;
  /** The creator's image and credentials at fork time; the child starts with a copy. */
  parentImage?: ProcessImage;
  parentCreds?: Credentials;
}

/** A process replaced its image (execve/execveat). */
export interface ExecEvent extends EventBase {
  kind: 'exec';
  pid: number;
  /** Parent as the source saw it at exec time, when reported. */
  ppid?: number;
  image: ProcessImage;
  creds?: Credentials;
}

/** A whole process (thread group) ended. */
export interface ExitEvent extends EventBase {
  kind: 'exit';
  pid: number;
  /** Parent at exit time, when reported (the connector's EXIT carries it). */
  ppid?: number;
  exitCode?: number;
  exitSignal?: number;
  /**
   * `observed` = the source saw the exit; `inferred` = an adapter concluded it from other
   * evidence (the pid was reused, the process was seen gone).
   */
  certainty?: 'observed' | 'inferred';
  /** Why an inferred exit was concluded (`sigkill`: the log shows a SIGKILL sent to it), kept as the end's reason. */
  inferredBecause?: string;
}

/**
 * Evidence that a process was alive at `timestampNs` (any audit record naming it, a
 * /proc snapshot entry). Lets consumers create processes that existed before the log
 * started ("seen since") and notice parent changes such as reparenting to init.
 */
export interface ObservedEvent extends EventBase {
  kind: 'observed';
  pid: number;
  ppid?: number;
  /** Exact start time when known (from /proc); absent for audit evidence. */
  startTimeNs?: bigint;
  image?: ProcessImage;
  creds?: Credentials;
}

/** Credentials changed without an exec (setuid, connector UID/GID events). */
export interface CredsChangeEvent extends EventBase {
  kind: 'creds';
  pid: number;
  creds: Credentials;
}

/** The task name changed (prctl PR_SET_NAME, connector COMM event). */
export interface CommChangeEvent extends EventBase {
  kind: 'comm';
  pid: number;
  comm: string;
}

/** A process started a new session (setsid). */
export interface SessionEvent extends EventBase {
  kind: 'sid';
  pid: number;
}

/** A process was attached to (tracerPid > 0) or detached from a tracer. */
export interface PtraceEvent extends EventBase {
  kind: 'ptrace';
  pid: number;
  tracerPid: number;
}

/** A process dumped core. */
export interface CoredumpEvent extends EventBase {
  kind: 'coredump';
  pid: number;
}

/**
 * Events may be missing: an audit serial gap, a connector ENOBUFS overflow. Consumers
 * mark answers that depend on the gap as uncertain instead of guessing.
 */
export interface LossEvent extends EventBase {
  kind: 'loss';
  /** How many events may be lost, when the source can tell. */
  count?: number;
  reason: string;
}

export type ProcEvent =
  | ForkEvent
  | ExecEvent
  | ExitEvent
  | ObservedEvent
  | CredsChangeEvent
  | CommChangeEvent
  | SessionEvent
  | PtraceEvent
  | CoredumpEvent
  | LossEvent;

export type ProcEventKind = ProcEvent['kind'];
