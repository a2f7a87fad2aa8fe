import type { EventSink } from '../../src/events/event-sink.js';
import type { Credentials, EvidenceRef, ProcessImage, ProcEvent } from '../../src/events/proc-event.js';
import type { ConnectorEvent } from './connector-event.js';
import { ProcessTable } from './process-table.js';
import type { ProcSnapshot } from './proc-snapshot.js';
import { SequenceGaps } from './sequence-gaps.js';

/**
 * Turns decoded connector messages into process-level ProcEvents. The one stateful stage
 * of this adapter; it owns a ProcessTable bounded by the number of live processes.
 *
 * Rules (each follows from how kernel/fork.c, kernel/exit.c and drivers/connector/cn_proc.c
 * fill the messages):
 * - Threads. FORK with child pid != child tgid is a new thread (CLONE_THREAD): no event.
 *   A FORK from a non-leader thread has parent pid = its tid, parent tgid = the process:
 *   ForkEvent.parentPid = parent tgid, parentTid = the thread when it is not the leader.
 * - Exits. EXIT is sent for every task. Only the group leader's (pid == tgid) can end the
 *   process, and only once every thread we saw created has exited too: a leader may
 *   pthread_exit() and leave its threads running, and in exit_group() the leader's EXIT
 *   may come before its siblings'. So the ExitEvent is held until the last known thread's
 *   EXIT (threads created before we subscribed cannot be counted: documented weakness).
 *   A thread that execs (de_thread) kills the old leader, which sends an EXIT with pid ==
 *   tgid; the EXEC that follows for the same tgid cancels that held exit.
 * - Exit status. task->exit_code is wait(2) status: low 7 bits = killing signal, bits 8-15
 *   = exit code. The message's exit_signal is what the parent gets (SIGCHLD), not a cause.
 * - Reparenting. The connector sends nothing when orphans are reparented (exit_notify runs
 *   after proc_exit_connector). When a process's exit is emitted, each child we know of
 *   gets an ObservedEvent with its new parent, stamped with the parent's exit time; the
 *   ReaperSource says which parent (live: /proc/CHILD/stat; replay: the child's own EXIT,
 *   else what the capture read live, else pid 1, the kernel's default reaper). Every
 *   EXIT carries the real parent at exit time: when it differs from what we hold (a
 *   subreaper we guessed wrong, a lost message), an ObservedEvent with that parent is
 *   emitted just before the ExitEvent. Counters say how many were confirmed or corrected.
 * - Per-thread identity changes. UID/GID/COMM are per task; a process's identity is its
 *   leader's, so those events count for the process only when pid == tgid (glibc's
 *   setuid() changes every thread, so the leader always reports it).
 * - Loss. Per-CPU sequence gaps are exact counts of dropped messages (see SequenceGaps).
 */

/** What an exec looked like, from /proc at exec time (live) or the capture's record of it. */
export interface ExecImage {
  image: ProcessImage;
  /** Who the process ran as when its image was read (live /proc: uid/euid, names from this host). */
  creds?: Credentials;
  /** Set when the image could not be read: why (process gone, pid reused, exec'd again). */
  missed?: string;
}

export interface ExecContext {
  /** Connector id of the EXEC message, `cpu/seq`. */
  id: string;
  offset: number;
  monotonicNs: bigint;
  /** Monotonic ns of this process's FORK when it was seen: lets a /proc read detect pid reuse. */
  forkMonotonicNs?: bigint;
  /** A later EXEC or EXIT for the same process is already in hand: /proc shows a later state. */
  superseded: boolean;
}

export interface ImageSource {
  imageAtExec(pid: number, context: ExecContext): ExecImage;
}

export interface ReparentContext {
  /** The process whose exit orphaned the child. */
  exitingPid: number;
  /** Connector id and offset of that exit. */
  id: string;
  offset: number;
}

export interface ReaperSource {
  /** The child's parent after `exitingPid` exited, and how that was learned. */
  newParent(childPid: number, context: ReparentContext): { ppid: number; how: string };
}

export interface TranslatorOptions {
  /** Evidence file name: the capture path, or `netlink` live. */
  file: string;
  host?: string;
  /** CLOCK_REALTIME - CLOCK_MONOTONIC at capture start. */
  monotonicToRealtimeNs: bigint;
  images: ImageSource;
  reapers: ReaperSource;
}

export interface TranslatorStats {
  messages: number;
  acks: number;
  threadsCreated: number;
  threadExits: number;
  /** UID/GID/COMM changes of non-leader threads (not a process fact). */
  threadIdentityChanges: number;
  unknownWhat: number;
  lostMessages: number;
  execImagesMissed: number;
  reparentsInferred: number;
  /** Child EXIT named the parent we had inferred. */
  reparentsConfirmed: number;
  /** Child EXIT named another parent: an ObservedEvent corrected it. */
  parentsCorrected: number;
  /** A FORK reused a pid whose exit we never saw: an inferred ExitEvent closed the old one. */
  inferredExits: number;
  events: Partial<Record<ProcEvent['kind'], number>>;
}

interface HeldExit {
  event: ConnectorEvent & { what: 'exit' };
}

/** Start times from /proc tick at 10 ms: the same process if the FORK is within this. */
const SNAPSHOT_START_MATCH_NS = 30_000_000n;

export class ConnectorTranslator {
  readonly stats: TranslatorStats = {
    messages: 0,
    acks: 0,
    threadsCreated: 0,
    threadExits: 0,
    threadIdentityChanges: 0,
    unknownWhat: 0,
    lostMessages: 0,
    execImagesMissed: 0,
    reparentsInferred: 0,
    reparentsConfirmed: 0,
    parentsCorrected: 0,
    inferredExits: 0,
    events: {},
  };
  private readonly table = new ProcessTable();
  private readonly gaps = new SequenceGaps();
  private readonly heldExits = new Map<number, HeldExit>();
  /** Pids whose current parent came from reparenting inference (for confirmed/corrected). */
  private readonly reparented = new Set<number>();

  constructor(
    private readonly sink: EventSink,
    private readonly options: TranslatorOptions,
  ) {}

  /** Number of live processes held (the state's bound). */
  get liveProcesses(): number {
    return this.table.size;
  }

  toWallNs(monotonicNs: bigint): bigint {
    return monotonicNs + this.options.monotonicToRealtimeNs;
  }

  /**
   * Seeds (or re-seeds, after loss) the table from a /proc snapshot: one ObservedEvent per
   * process, every time (after a loss any of them may have changed parent or been
   * replaced by a reused pid; the start time tells the store which). On a re-seed,
   * processes we held that /proc no longer has get an inferred exit.
   */
  seed(snapshot: ProcSnapshot, how: { reseed: boolean; evidenceFile: string; offset?: number }): void {
    const { reseed } = how;
    const atNs = BigInt(snapshot.takenAtNs);
    const evidence: EvidenceRef = { file: how.evidenceFile, offset: how.offset ?? 0, id: reseed ? 'proc-reseed' : 'proc-snapshot' };
    if (reseed) {
      const present = new Set(snapshot.processes.map((p) => p.pid));
      for (const pid of [...this.table.pids()]) {
        if (present.has(pid)) continue;
        this.emit({ kind: 'exit', pid, timestampNs: atNs, certainty: 'inferred', ...this.hostAndEvidence(evidence) });
        this.table.remove(pid);
      }
      this.heldExits.clear();
    }
    for (const p of snapshot.processes) {
      const startTimeNs = BigInt(p.startTimeNs);
      this.table.set(p.pid, { ppid: p.ppid, comm: p.comm, startTimeNs, fromSnapshot: true });
      const image: ProcessImage = { comm: p.comm };
      if (p.exe !== undefined) image.exe = p.exe;
      if (p.argv !== undefined) image.argv = p.argv;
      const event: ProcEvent = {
        kind: 'observed',
        pid: p.pid,
        ppid: p.ppid,
        startTimeNs,
        timestampNs: atNs,
        image,
        ...this.hostAndEvidence(evidence),
      };
      if (p.uid !== undefined || p.euid !== undefined) event.creds = { uid: p.uid, euid: p.euid };
      this.emit(event);
    }
  }

  /** A loss the caller knows of without a count (ENOBUFS); gaps add exact counts later. */
  reportLoss(atNs: bigint, reason: string, count?: number): void {
    const event: ProcEvent = { kind: 'loss', timestampNs: atNs, reason };
    if (count !== undefined) event.count = count;
    if (this.options.host !== undefined) event.host = this.options.host;
    this.emit(event);
  }

  /** Translates one batch in order. A batch lets an EXEC see a later EXEC/EXIT of its process. */
  pushBatch(events: ConnectorEvent[]): void {
    const superseded = findSupersededExecs(events);
    for (let i = 0; i < events.length; i++) this.push(events[i]!, superseded.has(i));
  }

  push(ev: ConnectorEvent, execSuperseded = false): void {
    this.stats.messages++;
    {
      // Acks count too: the kernel numbers them from the same per-CPU counter, and every
      // listener receives the acks to the others' LISTEN/IGNORE.
      const missing = this.gaps.observe(ev.cpu, ev.seq);
      if (missing > 0) {
        this.stats.lostMessages += missing;
        this.reportLoss(
          this.toWallNs(ev.monotonicNs),
          `proc connector: ${missing} message(s) from cpu ${ev.cpu} never arrived (sequence ${ev.seq - missing}..${ev.seq - 1})`,
          missing,
        );
      }
    }
    switch (ev.what) {
      case 'ack':
        this.stats.acks++;
        if (ev.err !== 0) {
          this.sink.onWarning({
            reason: 'subscribe-refused',
            detail: `the kernel refused the proc connector subscription (errno ${ev.err}); needs root or CAP_NET_ADMIN`,
            position: { file: this.options.file, offset: ev.offset },
          });
        }
        return;
      case 'fork':
        return this.onFork(ev);
      case 'exec':
        return this.onExec(ev, execSuperseded);
      case 'exit':
        return this.onExit(ev);
      case 'uid':
      case 'gid':
        if (ev.pid !== ev.tgid) {
          this.stats.threadIdentityChanges++;
          return;
        }
        this.emit({
          kind: 'creds',
          pid: ev.tgid,
          creds: ev.what === 'uid' ? { uid: ev.ruid, euid: ev.euid } : { gid: ev.rgid, egid: ev.egid },
          ...this.common(ev),
        });
        return;
      case 'sid':
        this.emit({ kind: 'sid', pid: ev.tgid, ...this.common(ev) });
        return;
      case 'ptrace':
        this.emit({ kind: 'ptrace', pid: ev.tgid, tracerPid: ev.tracerTgid, ...this.common(ev) });
        return;
      case 'comm': {
        if (ev.pid !== ev.tgid) {
          this.stats.threadIdentityChanges++;
          return;
        }
        const known = this.table.get(ev.tgid);
        if (known) known.comm = ev.comm;
        this.emit({ kind: 'comm', pid: ev.tgid, comm: ev.comm, ...this.common(ev) });
        return;
      }
      case 'coredump':
        this.emit({ kind: 'coredump', pid: ev.tgid, ...this.common(ev) });
        return;
      case 'unknown':
        this.stats.unknownWhat++;
        this.sink.onWarning({
          reason: 'unknown-proc-event',
          detail: `proc_event what 0x${ev.code.toString(16)} is not known to this version; skipped`,
          position: { file: this.options.file, offset: ev.offset },
        });
        return;
    }
  }

  private onFork(ev: ConnectorEvent & { what: 'fork' }): void {
    if (ev.childPid !== ev.childTgid) {
      this.stats.threadsCreated++;
      this.table.addThread(ev.childTgid, ev.childPid);
      return;
    }
    const wallNs = this.toWallNs(ev.monotonicNs);
    const child = ev.childTgid;
    const previous = this.table.get(child);
    if (previous?.fromSnapshot && previous.startTimeNs !== undefined && absDiff(previous.startTimeNs, wallNs) <= SNAPSHOT_START_MATCH_NS) {
      // The snapshot (taken just after we subscribed) already showed this process: the
      // FORK is its birth, not a new process on a reused pid.
      previous.fromSnapshot = false;
      previous.forkMonotonicNs = ev.monotonicNs;
      return;
    }
    if (previous) {
      // Same pid alive in our table: its exit was lost (or it died during the snapshot walk).
      this.stats.inferredExits++;
      this.emit({ kind: 'exit', pid: child, certainty: 'inferred', ...this.common(ev) });
      this.endProcess(child, ev);
    }
    const parent = this.table.get(ev.parentTgid);
    this.table.set(child, { ppid: ev.parentTgid, comm: parent?.comm, forkMonotonicNs: ev.monotonicNs, fromSnapshot: false });
    const event: ProcEvent = { kind: 'fork', childPid: child, parentPid: ev.parentTgid, ...this.common(ev) };
    if (ev.parentPid !== ev.parentTgid) event.parentTid = ev.parentPid;
    if (parent) event.parentPpid = parent.ppid;
    this.emit(event);
  }

  private onExec(ev: ConnectorEvent & { what: 'exec' }, superseded: boolean): void {
    const pid = ev.tgid;
    if (this.heldExits.delete(pid)) this.table.forgetThreads(pid); // de_thread: see header
    const known = this.table.get(pid);
    const context: ExecContext = { id: idOf(ev), offset: ev.offset, monotonicNs: ev.monotonicNs, superseded };
    if (known?.forkMonotonicNs !== undefined) context.forkMonotonicNs = known.forkMonotonicNs;
    const { image, missed, creds } = this.options.images.imageAtExec(pid, context);
    if (missed !== undefined) {
      this.stats.execImagesMissed++;
      this.sink.onWarning({
        reason: 'exec-image-missed',
        detail: `pid ${pid} exec at ${idOf(ev)}: image unknown (${missed})`,
        position: { file: this.options.file, offset: ev.offset },
      });
    }
    if (known && image.comm !== undefined) known.comm = image.comm;
    this.emit({ kind: 'exec', pid, image, ...(creds !== undefined ? { creds } : {}), ...this.common(ev) });
  }

  private onExit(ev: ConnectorEvent & { what: 'exit' }): void {
    const tgid = ev.tgid;
    if (ev.pid !== tgid) {
      this.stats.threadExits++;
      const left = this.table.removeThread(tgid, ev.pid);
      const held = this.heldExits.get(tgid);
      if (held && left === 0) {
        this.heldExits.delete(tgid);
        // The process ends with its last thread: its time, the leader's status and parent.
        this.finishExit({ ...held.event, monotonicNs: ev.monotonicNs });
      }
      return;
    }
    if (this.table.liveThreads(tgid) > 0) {
      this.heldExits.set(tgid, { event: ev });
      return;
    }
    this.finishExit(ev);
  }

  private finishExit(ev: ConnectorEvent & { what: 'exit' }): void {
    const pid = ev.tgid;
    const known = this.table.get(pid);
    // parent_tgid is 0 only if the task was already unhashed; never seen in practice.
    if (ev.parentTgid > 0) {
      if (known && known.ppid !== ev.parentTgid) {
        this.stats.parentsCorrected++;
        this.emit({ kind: 'observed', pid, ppid: ev.parentTgid, ...this.common(ev) });
      } else if (known && this.reparented.has(pid)) {
        this.stats.reparentsConfirmed++;
      }
    }
    const event: ProcEvent = { kind: 'exit', pid, certainty: 'observed', ...this.common(ev) };
    if (ev.parentTgid > 0) event.ppid = ev.parentTgid;
    const signal = ev.status & 0x7f;
    if (signal === 0) event.exitCode = (ev.status >> 8) & 0xff;
    else event.exitSignal = signal;
    this.emit(event);
    this.endProcess(pid, ev);
  }

  /** Forgets a process and reparents the children we know of. */
  private endProcess(pid: number, ev: ConnectorEvent): void {
    this.table.remove(pid);
    this.table.forgetThreads(pid);
    this.reparented.delete(pid);
    for (const child of this.table.children(pid)) {
      const { ppid } = this.options.reapers.newParent(child, { exitingPid: pid, id: idOf(ev), offset: ev.offset });
      this.stats.reparentsInferred++;
      this.table.setParent(child, ppid);
      this.reparented.add(child);
      this.emit({ kind: 'observed', pid: child, ppid, ...this.common(ev) });
    }
  }

  private common(ev: ConnectorEvent): { timestampNs: bigint; evidence: EvidenceRef; host?: string } {
    const evidence: EvidenceRef = { file: this.options.file, offset: ev.offset, id: idOf(ev) };
    return { timestampNs: this.toWallNs(ev.monotonicNs), ...this.hostAndEvidence(evidence) };
  }

  private hostAndEvidence(evidence: EvidenceRef): { evidence: EvidenceRef; host?: string } {
    return this.options.host === undefined ? { evidence } : { evidence, host: this.options.host };
  }

  private emit(event: ProcEvent): void {
    this.stats.events[event.kind] = (this.stats.events[event.kind] ?? 0) + 1;
    this.sink.onEvent(event);
  }
}

/** `cpu/seq`: the kernel's own identity of a connector message. */
export function idOf(ev: { cpu: number; seq: number }): string {
  return `${ev.cpu}/${ev.seq}`;
}

function absDiff(a: bigint, b: bigint): bigint {
  return a > b ? a - b : b - a;
}

/** Indexes of EXECs followed, in the same batch, by another EXEC or EXIT of the same process. */
export function findSupersededExecs(events: readonly ConnectorEvent[]): Set<number> {
  const superseded = new Set<number>();
  const lastExecAt = new Map<number, number>();
  for (let i = 0; i < events.length; i++) {
    const ev = events[i]!;
    if (ev.what !== 'exec' && !(ev.what === 'exit' && ev.pid === ev.tgid)) continue;
    const earlier = lastExecAt.get(ev.tgid);
    if (earlier !== undefined) superseded.add(earlier);
    if (ev.what === 'exec') lastExecAt.set(ev.tgid, i);
    else lastExecAt.delete(ev.tgid);
  }
  return superseded;
}
