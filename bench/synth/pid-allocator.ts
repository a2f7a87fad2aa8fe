/**
 * Linux-like pid allocation: cyclic from the last pid handed out, skipping pids in use,
 * wrapping from pid_max back to 300 (the kernel's RESERVED_PIDS). Threads take ids from the
 * same space, so a small pid_max reuses pids quickly, which is what stresses a consumer.
 */
const RESERVED_PIDS = 300;

export class PidAllocator {
  private readonly used: Uint8Array;
  private last: number;
  private inUse = 0;

  constructor(readonly pidMax: number, start = RESERVED_PIDS) {
    if (pidMax < RESERVED_PIDS + 64) throw new Error(`pid_max ${pidMax} is too small (minimum ${RESERVED_PIDS + 64})`);
    this.used = new Uint8Array(pidMax);
    this.last = start;
  }

  /** Marks a pid that already exists (pre-existing processes). */
  reserve(pid: number): void {
    if (this.used[pid] === 0) this.inUse++;
    this.used[pid] = 1;
  }

  allocate(): number {
    if (this.inUse >= this.pidMax - RESERVED_PIDS - 1) throw new Error('pid space exhausted: lower --live or raise --pid-max');
    let pid = this.last;
    for (;;) {
      pid++;
      if (pid >= this.pidMax) pid = RESERVED_PIDS;
      if (this.used[pid] === 0) break;
    }
    this.used[pid] = 1;
    this.inUse++;
    this.last = pid;
    return pid;
  }

  release(pid: number): void {
    if (this.used[pid] === 1) this.inUse--;
    this.used[pid] = 0;
  }

  get count(): number {
    return this.inUse;
  }
}
