/**
 * What the translator knows about live processes: parent, name, children and threads.
 * Only what reparenting inference and thread handling need; the full history lives in the
 * store downstream. Bounded by the number of live processes: entries are removed on exit.
 */
export interface KnownProcess {
  ppid: number;
  comm?: string;
  /** Wall-clock start ns from /proc, for snapshot entries (10 ms resolution). */
  startTimeNs?: bigint;
  /** CLOCK_MONOTONIC ns of the FORK we saw, when we saw it. */
  forkMonotonicNs?: bigint;
  /** True when this entry came from a /proc snapshot and no FORK has been seen for it. */
  fromSnapshot: boolean;
}

export class ProcessTable {
  private readonly processes = new Map<number, KnownProcess>();
  private readonly childrenOf = new Map<number, Set<number>>();
  /** Threads seen created (FORK with child pid != tgid) and not yet exited, per tgid. */
  private readonly threadsOf = new Map<number, Set<number>>();

  get size(): number {
    return this.processes.size;
  }

  get(pid: number): KnownProcess | undefined {
    return this.processes.get(pid);
  }

  pids(): IterableIterator<number> {
    return this.processes.keys();
  }

  set(pid: number, process: KnownProcess): void {
    this.remove(pid);
    this.processes.set(pid, process);
    this.link(pid, process.ppid);
  }

  setParent(pid: number, ppid: number): void {
    const process = this.processes.get(pid);
    if (!process) return;
    this.childrenOf.get(process.ppid)?.delete(pid);
    process.ppid = ppid;
    this.link(pid, ppid);
  }

  /** Live children we know of, in ascending pid order (stable output). */
  children(pid: number): number[] {
    return [...(this.childrenOf.get(pid) ?? [])].sort((a, b) => a - b);
  }

  remove(pid: number): void {
    const process = this.processes.get(pid);
    if (!process) return;
    this.childrenOf.get(process.ppid)?.delete(pid);
    this.processes.delete(pid);
    if (this.childrenOf.get(pid)?.size === 0) this.childrenOf.delete(pid);
  }

  addThread(tgid: number, tid: number): void {
    let threads = this.threadsOf.get(tgid);
    if (!threads) this.threadsOf.set(tgid, (threads = new Set()));
    threads.add(tid);
  }

  /** Removes a thread; returns how many known threads of the group are still alive. */
  removeThread(tgid: number, tid: number): number {
    const threads = this.threadsOf.get(tgid);
    if (!threads) return 0;
    threads.delete(tid);
    if (threads.size === 0) this.threadsOf.delete(tgid);
    return threads.size;
  }

  liveThreads(tgid: number): number {
    return this.threadsOf.get(tgid)?.size ?? 0;
  }

  forgetThreads(tgid: number): void {
    this.threadsOf.delete(tgid);
  }

  clear(): void {
    this.processes.clear();
    this.childrenOf.clear();
    this.threadsOf.clear();
  }

  private link(pid: number, ppid: number): void {
    let children = this.childrenOf.get(ppid);
    if (!children) this.childrenOf.set(ppid, (children = new Set()));
    children.add(pid);
  }
}
