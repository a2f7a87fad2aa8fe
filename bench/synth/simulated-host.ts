import { ARCHES, CLONE3_ARGS_SIZE, CLONE_FLAGS } from './arch-table.js';
import type { ArchInfo } from './arch-table.js';
import type { AuditRecordFormat, SyscallFields } from './audit-record-format.js';
import { commOf, DAEMONS, pickProgram, PROGRAM_WEIGHT } from './command-catalogue.js';
import type { GeneratorOptions } from './generator-options.js';
import { PidAllocator } from './pid-allocator.js';
import type { SeededRandom } from './seeded-random.js';
import type { SimProcess } from './sim-process.js';
import { ppidOf } from './sim-process.js';
import { emitNoise } from './noise-events.js';
import type { NoiseHost } from './noise-events.js';

/** Counts of what was simulated: the truth a consumer's totals can be checked against. */
export interface HostCounts {
  processes: number;
  preExisting: number;
  execs: number;
  failedExecs: number;
  exits: number;
  killed: number;
  threads: number;
  threadExits: number;
  reparented: number;
  noiseEvents: number;
}

/** Receives one audit event: its records, in the order they are to be written. */
export type EmitEvent = (lines: string[]) => void;

const UNSET = 4294967295;
const EXIT_KEY = 'proc-exit';
const PROC_KEY = 'proc';
/** Commands that programs keep being started from: recent spawners make deep chains. */
const RECENT_SPAWNERS = 16;

/**
 * The process model of one host: a live tree of processes and threads that fork, exec,
 * create threads, exit, get killed and get reparented, on a Linux-like pid allocator.
 * Every action writes the audit records the kernel would write for it.
 */
export class SimulatedHost {
  readonly counts: HostCounts = { processes: 0, preExisting: 0, execs: 0, failedExecs: 0, exits: 0, killed: 0, threads: 0, threadExits: 0, reparented: 0, noiseEvents: 0 };
  /** Simulated wall clock in ms since the epoch. */
  clockMs: number;
  private serial: number;
  private readonly live: SimProcess[] = [];
  private readonly spawners: SimProcess[] = [];
  private readonly recent: SimProcess[] = [];
  private readonly pids: PidAllocator;
  private readonly init: SimProcess;
  private readonly meanGapMs: number;
  private noiseHost: NoiseHost | undefined;

  constructor(
    private readonly rng: SeededRandom,
    private readonly fmt: AuditRecordFormat,
    private readonly opts: GeneratorOptions,
    private readonly arch: ArchInfo,
    private readonly emit: EmitEvent,
  ) {
    this.clockMs = opts.startEpochS * 1000 + rng.int(1000);
    this.serial = rng.range(1000, 5_000_000);
    this.pids = new PidAllocator(opts.pidMax, rng.range(3000, Math.max(3001, Math.floor(opts.pidMax / 2))));
    // About three logged events per process (fork, exec, exit) plus noise.
    this.meanGapMs = 1000 / (opts.rate * (3 + opts.noiseShare));
    this.init = this.preExisting(1, undefined, '/usr/lib/systemd/systemd', ['/sbin/init', 'splash'], 0, 'daemon');
    this.createPreExistingProcesses();
  }

  // ---- the simulation loop -------------------------------------------------------------

  /** Performs one action and emits its event(s). */
  step(): void {
    this.clockMs += this.rng.exponential(this.meanGapMs);
    if (this.rng.float() < this.opts.noiseShare / (1 + this.opts.noiseShare)) {
      this.counts.noiseEvents++;
      emitNoise((this.noiseHost ??= this.noiseContext()));
      return;
    }
    const pressure = this.live.length / this.opts.live;
    const r = this.rng.float();
    if (r < Math.min(0.9, 0.45 * pressure)) {
      this.exitSomeone();
    } else if (r < Math.min(0.9, 0.45 * pressure) + 0.05) {
      this.execAgain();
    } else {
      const parent = this.pickSpawner();
      if (parent.role === 'threaded' && this.rng.chance(this.opts.threadShare)) this.threadAction(parent);
      else this.spawn(parent);
    }
  }

  /**
   * What /proc would show right now for a random live process (half of the time one that
   * spawns children): its pid and the pid chain up to init. The clock then moves to the
   * next millisecond so no later record shares the probe's timestamp.
   */
  probe(): { pid: number; atNs: string; chain: number[]; comm: string } {
    let p = this.rng.chance(0.5) && this.spawners.length > 0 ? this.rng.pick(this.spawners) : this.randomLive();
    if (p === this.init) p = this.randomLive();
    const chain: number[] = [];
    for (let q: SimProcess | undefined = p; q !== undefined; q = q.parent) chain.push(q.pid);
    const ms = Math.floor(this.clockMs);
    this.clockMs = ms + 1;
    return { pid: p.pid, atNs: `${ms}999999`, chain, comm: p.comm };
  }

  // ---- actions -------------------------------------------------------------------------

  private spawn(parent: SimProcess): void {
    const childPid = this.pids.allocate();
    const child: SimProcess = {
      ...parent,
      pid: childPid,
      parent,
      children: new Set(),
      depth: parent.depth + 1,
      role: parent.role === 'daemon' ? 'shell' : parent.role,
      argv: parent.argv,
      threads: [],
      liveIndex: -1,
      spawnerIndex: -1,
    };
    parent.children.add(child);
    this.addLive(child);
    this.counts.processes++;

    if (!this.rng.chance(0.9)) {
      // A subshell: the fork keeps running the parent's image. glibc's fork() is clone (or
      // the fork syscall); clone3 and vfork children always exec (posix_spawn, vfork+exec).
      this.emit(this.cloneRecords(parent, childPid, false, false));
      return;
    }
    if (this.rng.chance(this.opts.childFirstShare)) {
      // The child ran first: its execve returned (and took the earlier serial) before the
      // parent's clone returned, so the child's records come first in the log.
      const execLines = this.execRecords(child);
      this.emit(execLines);
      this.emit(this.cloneRecords(parent, childPid, false));
      return;
    }
    this.emit(this.cloneRecords(parent, childPid, false));
    this.emit(this.execRecords(child));
  }

  private cloneRecords(parent: SimProcess, newId: number, thread: boolean, willExec = true): string[] {
    const a = parent.arch;
    const s = a.syscalls;
    let nr: number;
    let a0: string;
    let a1 = '0';
    const r = this.rng.float();
    if (thread) {
      if (r < 0.3) {
        nr = s.clone;
        a0 = CLONE_FLAGS.thread;
      } else {
        nr = s.clone3;
        a0 = '7ffe' + this.rng.hex(8);
        a1 = CLONE3_ARGS_SIZE;
      }
    } else if (!willExec) {
      nr = s.fork !== undefined && r < 0.05 ? s.fork : s.clone;
      a0 = nr === s.fork ? '0' : CLONE_FLAGS.fork;
    } else if (r < 0.15 || (parent.threads.length > 0 && r < 0.6)) {
      // posix_spawn (and spawns from threaded programs) use clone3 with CLONE_VM|CLONE_VFORK.
      nr = s.clone3;
      a0 = '7ffe' + this.rng.hex(8);
      a1 = CLONE3_ARGS_SIZE;
    } else if (r < 0.25 && s.vfork !== undefined) {
      nr = s.vfork;
      a0 = '5' + this.rng.hex(11);
    } else if (r < 0.3 && s.fork !== undefined) {
      nr = s.fork;
      a0 = '0';
    } else {
      nr = s.clone;
      a0 = s.vfork === undefined && r < 0.25 ? CLONE_FLAGS.vfork : CLONE_FLAGS.fork;
    }
    const stamp = this.nextStamp();
    return this.withProctitle(
      stamp,
      parent,
      this.fmt.syscall(stamp, this.syscallFields(parent, nr, { success: true, exit: newId }, a0, a1, 0, PROC_KEY)),
    );
  }

  /** execve of a new program by `p` (with ENOENT attempts first, sometimes); updates p. */
  private execRecords(p: SimProcess): string[] {
    const lines: string[] = [];
    const callerArch = p.arch;
    const program = pickProgram(this.rng, PROGRAM_WEIGHT);
    let argv = program.argv(this.rng);
    if (this.rng.chance(this.opts.longArgsShare)) argv = this.longArgv(argv);
    if (this.rng.chance(this.opts.failedExecShare)) {
      for (let k = this.rng.range(1, 2); k > 0; k--) {
        const stamp = this.nextStamp();
        const missing = `${this.rng.pick(['/usr/local/sbin', '/usr/local/bin', '/root/.cargo/bin', '/home/alice/bin'])}/${commOf(argv[0] ?? 'x')}`;
        const sys = this.syscallFields(p, callerArch.syscalls.execve, { success: false, exit: -2 }, '7ffd' + this.rng.hex(8), '7ffd' + this.rng.hex(8), 1, PROC_KEY);
        lines.push(this.fmt.syscall(stamp, sys), this.fmt.cwd(stamp, p.cwd), this.fmt.pathMissing(stamp, 0, missing), this.fmt.proctitle(stamp, p.argv));
        this.counts.failedExecs++;
      }
    }
    // The new image: exe, comm, argv, maybe 32 bit.
    const i386 = this.arch.name === 'x86_64' && this.rng.chance(this.opts.i386Share);
    p.exe = i386 ? '/opt/legacy/bin/report32' : program.exe;
    p.argv = i386 ? ['report32', '--batch', String(this.rng.int(100))] : argv;
    p.comm = program.interpreter !== undefined && !i386 ? commOf(argv[1] ?? '') : commOf(p.argv[0] ?? p.exe);
    p.role = i386 ? 'leaf' : program.role;
    p.arch = i386 ? ARCHES.i386 : this.arch;
    if (p.depth >= this.opts.maxDepth && p.role === 'shell') p.role = 'leaf';
    this.updateSpawner(p);

    const stamp = this.nextStamp();
    const items = program.interpreter !== undefined ? 3 : 2;
    const execveat = this.rng.chance(0.005);
    // The syscall is logged with the arch it was entered in: the caller's, not the new image's.
    const nr = execveat ? callerArch.syscalls.execveat : callerArch.syscalls.execve;
    const a0 = execveat ? '3' : '5' + this.rng.hex(11);
    lines.push(this.fmt.syscall(stamp, this.syscallFields(p, nr, { success: true, exit: 0 }, a0, '5' + this.rng.hex(11), items, PROC_KEY, callerArch)));
    if (p.uid === 0 && this.rng.chance(0.4)) lines.push(this.fmt.bprmFcaps(stamp));
    lines.push(...this.fmt.execve(stamp, p.argv));
    lines.push(this.fmt.cwd(stamp, p.cwd));
    if (program.interpreter !== undefined && !i386) {
      lines.push(this.fmt.path(stamp, 0, p.argv[1] ?? '', this.inode(), '0100755', p.uid, 'NORMAL'));
      lines.push(this.fmt.path(stamp, 1, program.interpreter, this.inode(), '0100755', 0, 'NORMAL'));
      lines.push(this.fmt.path(stamp, 2, '/lib64/ld-linux-x86-64.so.2', 338944, '0100755', 0, 'NORMAL'));
    } else {
      lines.push(this.fmt.path(stamp, 0, p.exe, this.inode(), '0100755', 0, 'NORMAL'));
      lines.push(this.fmt.path(stamp, 1, i386 ? '/lib/ld-linux.so.2' : '/lib64/ld-linux-x86-64.so.2', 338944, '0100755', 0, 'NORMAL'));
    }
    lines.push(this.fmt.proctitle(stamp, p.argv));
    this.counts.execs++;
    return lines;
  }

  private execAgain(): void {
    const p = this.randomLive();
    if (p === this.init) return;
    this.emit(this.execRecords(p));
  }

  private exitSomeone(): void {
    let p = this.randomLive();
    // Leaves end first (a shell waits for its children), but not always (daemons, kills).
    for (let tries = 0; tries < 3 && (p.children.size > 0 || p === this.init); tries++) p = this.randomLive();
    if (p === this.init || (p.parent === this.init && p.depth === 1 && this.rng.chance(0.9))) return;
    if (this.rng.chance(this.opts.killedShare)) {
      this.counts.killed++;
    } else {
      const stamp = this.nextStamp();
      const code = this.rng.chance(0.9) ? 0 : this.rng.range(1, 2);
      const sys = this.syscallFields(p, p.arch.syscalls.exit_group, undefined, code.toString(16), this.rng.hex(2), 0, EXIT_KEY);
      sys.a2 = '3c';
      sys.a3 = '7ffd' + this.rng.hex(8);
      this.emit(this.withProctitle(stamp, p, this.fmt.syscall(stamp, sys)));
      this.counts.exits++;
    }
    this.removeProcess(p);
  }

  private threadAction(p: SimProcess): void {
    if (p.threads.length > 0 && this.rng.chance(0.45)) {
      // A thread ends with exit(2): logged with pid = the thread group id, not the tid.
      const i = this.rng.int(p.threads.length);
      const tid = p.threads[i] as number;
      p.threads[i] = p.threads[p.threads.length - 1] as number;
      p.threads.pop();
      this.pids.release(tid);
      const stamp = this.nextStamp();
      const sys = this.syscallFields(p, p.arch.syscalls.exit, undefined, '0', this.rng.hex(6), 0, EXIT_KEY);
      this.emit(this.withProctitle(stamp, p, this.fmt.syscall(stamp, sys)));
      this.counts.threadExits++;
      return;
    }
    if (p.threads.length >= 16) return this.spawn(p);
    const tid = this.pids.allocate();
    p.threads.push(tid);
    this.counts.threads++;
    this.emit(this.cloneRecords(p, tid, true));
  }

  // ---- bookkeeping ---------------------------------------------------------------------

  private removeProcess(p: SimProcess): void {
    for (const tid of p.threads) this.pids.release(tid);
    p.threads = [];
    // Orphans go to init: their later records show ppid=1.
    for (const c of p.children) {
      c.parent = this.init;
      this.init.children.add(c);
      this.counts.reparented++;
    }
    p.children.clear();
    p.parent?.children.delete(p);
    const last = this.live.pop() as SimProcess;
    if (last !== p) {
      this.live[p.liveIndex] = last;
      last.liveIndex = p.liveIndex;
    }
    this.removeSpawner(p);
    this.pids.release(p.pid);
  }

  private addLive(p: SimProcess): void {
    p.liveIndex = this.live.length;
    this.live.push(p);
    this.updateSpawner(p);
  }

  private updateSpawner(p: SimProcess): void {
    const canSpawn = p.role !== 'leaf' && p.depth < this.opts.maxDepth;
    if (canSpawn && p.spawnerIndex < 0) {
      p.spawnerIndex = this.spawners.length;
      this.spawners.push(p);
      this.recent.push(p);
      if (this.recent.length > RECENT_SPAWNERS) this.recent.shift();
    } else if (!canSpawn) {
      this.removeSpawner(p);
    }
  }

  private removeSpawner(p: SimProcess): void {
    const r = this.recent.indexOf(p);
    if (r >= 0) this.recent.splice(r, 1);
    if (p.spawnerIndex < 0) return;
    const last = this.spawners.pop() as SimProcess;
    if (last !== p) {
      this.spawners[p.spawnerIndex] = last;
      last.spawnerIndex = p.spawnerIndex;
    }
    p.spawnerIndex = -1;
  }

  private pickSpawner(): SimProcess {
    if (this.recent.length > 0 && this.rng.chance(0.5)) return this.rng.pick(this.recent);
    return this.spawners.length > 0 ? this.rng.pick(this.spawners) : this.init;
  }

  private randomLive(): SimProcess {
    return this.rng.pick(this.live);
  }

  private preExisting(pid: number, parent: SimProcess | undefined, exe: string, argv: string[], uid: number, role: SimProcess['role']): SimProcess {
    const login = uid >= 1000 || (parent !== undefined && parent.auid !== UNSET);
    const p: SimProcess = {
      pid,
      parent,
      children: new Set(),
      depth: parent === undefined ? 0 : parent.depth + 1,
      role,
      arch: this.arch,
      exe,
      comm: commOf(argv[0]?.split(' ')[0]?.replace(/:$/, '') ?? exe),
      argv,
      cwd: uid === 1000 ? '/home/alice' : uid === 1001 ? '/home/bob' : login ? '/root' : '/',
      uid,
      auid: parent !== undefined && parent.auid !== UNSET ? parent.auid : login ? uid : UNSET,
      ses: parent !== undefined && parent.ses !== UNSET ? parent.ses : login ? this.rng.range(1, 40) : UNSET,
      tty: login ? `pts${uid === 1001 ? 1 : 0}` : '(none)',
      threads: [],
      liveIndex: -1,
      spawnerIndex: -1,
    };
    this.pids.reserve(pid);
    parent?.children.add(p);
    this.addLive(p);
    this.counts.preExisting++;
    return p;
  }

  private createPreExistingProcesses(): void {
    let pid = this.rng.range(300, 700);
    const made: SimProcess[] = [];
    for (const d of DAEMONS) {
      pid += this.rng.range(1, Math.max(2, Math.min(300, Math.floor(this.opts.pidMax / 40))));
      const parent = d.parent === undefined ? this.init : made[d.parent];
      if (pid >= this.opts.pidMax || parent === undefined) break;
      made.push(this.preExisting(pid, parent, d.exe, d.argv, d.uid, d.role));
    }
  }

  // ---- record helpers ------------------------------------------------------------------

  private nextStamp(): string {
    const ms = Math.floor(this.clockMs);
    const sec = Math.floor(ms / 1000);
    const frac = ms - sec * 1000;
    this.serial++;
    return `${sec}.${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}:${this.serial}`;
  }

  private syscallFields(
    p: SimProcess,
    nr: number,
    result: SyscallFields['result'],
    a0: string,
    a1: string,
    items: number,
    key: string | null,
    arch: ArchInfo = p.arch,
  ): SyscallFields {
    return {
      arch,
      nr,
      result,
      a0,
      a1,
      a2: '0',
      a3: this.rng.hex(12),
      items,
      ppid: ppidOf(p),
      pid: p.pid,
      auid: p.auid,
      uid: p.uid,
      gid: p.uid,
      ses: p.ses,
      tty: p.tty,
      comm: p.comm,
      exe: p.exe,
      key,
    };
  }

  private withProctitle(stamp: string, p: SimProcess, syscallLine: string): string[] {
    return [syscallLine, this.fmt.proctitle(stamp, p.argv)];
  }

  private inode(): number {
    return this.rng.range(100000, 16000000);
  }

  private longArgv(argv: string[]): string[] {
    if (this.rng.chance(0.5)) {
      const n = this.rng.range(200, 800);
      const out = argv.slice();
      for (let i = 0; i < n; i++) out.push(`file-${i}.o`);
      return out;
    }
    // One argument too long for a record: hex chunks across several EXECVE records.
    return [...argv, 'A'.repeat(this.rng.range(4000, 40000)) + ' end'];
  }

  private noiseContext(): NoiseHost {
    return {
      rng: this.rng,
      fmt: this.fmt,
      stamp: () => this.nextStamp(),
      someone: () => this.randomLive(),
      syscallFields: (p, nr, result, a0, a1, items, key) => this.syscallFields(p, nr, result, a0, a1, items, key),
      emit: this.emit,
    };
  }
}
