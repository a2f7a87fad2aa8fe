/**
 * A node of the process tree: just enough to walk parents and label the walk.
 * Crate: `PidNode { ppid, cmd }`; we add the start time so a walk can tell a parent from
 * a later process that reused the parent's pid.
 */
export interface PidNode {
  /** Parent pid; 0 for roots (init, kthreadd) and for a parent the source never named. */
  ppid: number;
  /** Task name (comm, at most 15 bytes), '' when not known yet. */
  cmd: string;
  /**
   * Exact start, wall-clock ns since the epoch, when known: from /proc or from the fork
   * event that created the process. Left undefined when only a later sighting is known
   * (an exec without its fork), because a too-late start would make the real parent look
   * younger than its child and cut the chain.
   */
  startTimeNs?: bigint;
  /** Set when an exit event was seen. The node stays so late lookups still find the chain. */
  exitTimeNs?: bigint;
}

/** Cached facts about one process. Crate: `ProcInfo { cmd, user, ppid, tgid, start_time_ns }`. */
export interface ProcInfo {
  /** Process id (tgid; the crate's `tgid` is always this pid for a /proc entry). */
  pid: number;
  ppid: number;
  /** Task name (comm). */
  cmd: string;
  /** Executable path as the kernel reports it (may end in ' (deleted)'); '' when unknown or unreadable (kernel threads). */
  exe: string;
  /** Command line; empty for kernel threads, zombies, or when unknown. */
  argv: string[];
  /** User name of the real uid, or the uid in decimal when /etc/passwd has no entry, '' when unknown. */
  user: string;
  /** Real uid; -1 when unknown. */
  uid: number;
  /** Effective uid; -1 when unknown. */
  euid: number;
  /**
   * Start time, wall-clock ns since the epoch (the crate uses ns since boot; epoch time lets
   * us line it up with audit timestamps). From /proc or a fork event it is exact to a clock
   * tick; for a process first seen later (exec without fork) it is that first sighting.
   * `resolve` compares it with /proc to detect pid reuse.
   */
  startTimeNs: bigint;
}

/**
 * One entry of an ancestry chain, self first, then parent, grandparent...
 * Crate: `ProcessLink { pid, cmd, user }`, displayed `pid|cmd|user` (see formatLink).
 */
export interface ProcessLink {
  pid: number;
  ppid: number;
  cmd: string;
  /** '' when the cache has no matching entry. */
  user: string;
  /** -1 when unknown. */
  uid: number;
  /** '' when unknown. */
  exe: string;
  argv: string[];
  startTimeNs?: bigint;
  exitTimeNs?: bigint;
}
