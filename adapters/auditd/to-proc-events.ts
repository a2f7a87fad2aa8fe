import type { SourcePosition } from '../../src/events/event-sink.js';
import type { Credentials, EvidenceRef, ExecEvent, ExitEvent, ForkEvent, ObservedEvent, ProcEvent, ProcessImage } from '../../src/events/proc-event.js';
import type { AuditRecord } from './audit-record.js';
import { decodeUntrusted, detach } from './decode-value.js';
import { argvFromProctitle, ExecveArgs } from './execve-argv.js';
import { RecentByText } from './recent-by-text.js';
import { singleField } from './parse-record.js';
import type { AssembledEvent } from './reassemble.js';
import { readSyscallFields, syscallArgLow32, type SyscallFields } from './syscall-fields.js';
import { archTable, classifySyscall } from './syscall-table.js';

/**
 * Stage 4 of the auditd adapter: one reassembled audit event -> ProcEvents.
 *
 * Only the SYSCALL record says what happened; EXECVE/PROCTITLE/CWD add the new image.
 * Audit's `pid=` is the thread group id and `ppid=` the real parent's, both in the initial
 * pid namespace; clone's return value (`exit=`) is the child's pid as the caller sees it.
 */

/** Kernel clone flags (include/uapi/linux/sched.h). */
const CLONE_THREAD = 0x10000;
const CLONE_PARENT = 0x8000;
const CLONE_NEWPID = 0x20000000;
const SIGKILL = 9;
const NS_PER_SECOND = 1_000_000_000n;
const NS_PER_MS = 1_000_000n;

/** ms * 1e6 as bigints, and the last second seen in ns: one bigint addition per event instead of four bigints. */
const MS_NS: bigint[] = Array.from({ length: 1000 }, (_, ms) => BigInt(ms) * NS_PER_MS);
let cachedSec = -1;
let cachedSecNs = 0n;

/** `sec.ms` of an audit header in ns since the epoch. */
export function timestampOf(sec: number, ms: number): bigint {
  if (sec !== cachedSec) {
    cachedSecNs = BigInt(sec) * NS_PER_SECOND;
    cachedSec = sec;
  }
  const msNs = MS_NS[ms];
  return cachedSecNs + (msNs ?? BigInt(ms) * NS_PER_MS);
}

/** Why an event produced nothing; stable keys for the summary. */
export type UnusableEventReason = 'event-without-syscall' | 'truncated-record';

export interface ToProcEventsContext {
  /** Host for records without `node=` (the user's --host). */
  defaultHost: string | undefined;
  emit(event: ProcEvent): void;
  unusable(reason: UnusableEventReason, detail: string, position: SourcePosition): void;
  /** Reused reader of EXECVE records (one per adapter); made on first use when absent. */
  execve?: ExecveArgs;
}

/**
 * An ENRICHED user name, or undefined for auditd's placeholders: `unset` (auid -1) and
 * `unknown(4242)` (no passwd entry on the logging host; seen in samples/auditd).
 */
function userName(raw: string): string | undefined {
  const known = userNames.get(raw);
  if (known !== undefined) return known.value;
  const name = userNameOf(raw);
  userNames.set(detach(raw), name);
  return name;
}

/**
 * Decoded values by their raw token, shared by the events that log the same ones (a
 * process's every syscall names the same comm, exe, cwd and users): a repeat costs a
 * lookup instead of unquoting, UTF-8 checking and copying, and hands the encoder the same
 * string object (its hash already computed). decodeUntrusted and userNameOf are pure.
 */
const decoded = new RecentByText<string | undefined>(256);
const userNames = new RecentByText<string | undefined>(64);

function decodedOf(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const known = decoded.get(raw);
  if (known !== undefined) return known.value;
  const value = decodeUntrusted(raw);
  decoded.set(detach(raw), value);
  return value;
}

function userNameOf(raw: string): string | undefined {
  const name = decodeUntrusted(raw);
  if (name === undefined || name === 'unset' || (name.startsWith('unknown(') && name.endsWith(')'))) return undefined;
  return name;
}

function credsOf(f: SyscallFields): Credentials {
  const creds: Credentials = {};
  if (f.uid !== undefined) creds.uid = f.uid;
  if (f.euid !== undefined) creds.euid = f.euid;
  if (f.gid !== undefined) creds.gid = f.gid;
  if (f.egid !== undefined) creds.egid = f.egid;
  if (f.auid !== undefined) creds.auid = f.auid;
  // ENRICHED names, resolved by the auditd that wrote the log (AUID="unset" for -1).
  if (f.UID !== undefined) {
    const user = userName(f.UID);
    if (user !== undefined) creds.user = user;
  }
  if (f.EUID !== undefined) {
    const euser = userName(f.EUID);
    if (euser !== undefined) creds.euser = euser;
  }
  if (f.AUID !== undefined) {
    const auser = userName(f.AUID);
    if (auser !== undefined) creds.auser = auser;
  }
  return creds;
}

function findRecord(records: readonly AuditRecord[], type: string): AuditRecord | undefined {
  for (const record of records) if (record.type === type) return record;
  return undefined;
}

function singleFieldOf(records: readonly AuditRecord[], type: string, key: string): string | undefined {
  const record = findRecord(records, type);
  return record === undefined ? undefined : singleField(record, key);
}

/** comm/exe from SYSCALL, plus argv (EXECVE, else PROCTITLE) and cwd (CWD) when present. */
function imageOf(f: SyscallFields, records: readonly AuditRecord[], execve: ExecveArgs | undefined): ProcessImage {
  const image: ProcessImage = {};
  const comm = decodedOf(f.comm);
  if (comm !== undefined) image.comm = comm;
  const exe = decodedOf(f.exe);
  if (exe !== undefined) image.exe = exe;
  if (records.length > 1) {
    const args = execve?.result() ?? argvFromProctitle(singleFieldOf(records, 'PROCTITLE', 'proctitle'));
    if (args !== undefined) {
      image.argv = args.argv;
      if (args.truncated) image.argvTruncated = true;
    }
    const cwd = decodedOf(singleFieldOf(records, 'CWD', 'cwd'));
    if (cwd !== undefined) image.cwd = cwd;
  }
  return image;
}

export function toProcEvents(event: AssembledEvent, context: ToProcEventsContext): void {
  let syscall: AuditRecord | undefined;
  let syscallIndex = -1;
  // EXECVE records are read here, once: whether one was cut off (a warning for any event)
  // and its arguments (used by an exec).
  let execve: ExecveArgs | undefined;
  for (let i = 0; i < event.records.length; i++) {
    const record = event.records[i]!;
    if (record.type === 'SYSCALL') {
      if (syscall === undefined) {
        syscall = record;
        syscallIndex = i;
      }
    } else if (record.type === 'EXECVE') {
      if (execve === undefined) {
        execve = context.execve ??= new ExecveArgs();
        execve.reset();
      }
      if (!execve.add(record)) {
        context.unusable('truncated-record', `${record.type} record of event ${event.id} ends inside a quoted value`, event.positions[i]!);
      }
    }
  }
  if (syscall === undefined) {
    const types = event.records.map((r) => r.type).join(',');
    context.unusable('event-without-syscall', `event ${event.id} has ${types} but no SYSCALL record (lost or filtered)`, event.positions[0]!);
    return;
  }
  const f = readSyscallFields(syscall);
  const position = event.positions[syscallIndex]!;
  if (f.truncated) {
    context.unusable('truncated-record', `SYSCALL record of event ${event.id} ends inside a quoted value`, position);
    return;
  }
  const pid = f.pid;
  if (pid === undefined || (f.syscall === undefined && f.SYSCALL === undefined)) {
    context.unusable('truncated-record', `SYSCALL record of event ${event.id} lacks pid= or syscall=`, position);
    return;
  }
  const ppid = f.ppid;
  const kind = classifySyscall(f.arch, f.syscall, f.SYSCALL);
  const exitValue = f.exit;

  const timestampNs = timestampOf(event.sec, event.ms);
  const host = event.node === undefined ? context.defaultHost : detach(event.node);
  const evidence: EvidenceRef = { file: position.file, offset: position.offset, id: detach(event.id) };
  if (position.line !== undefined) evidence.line = position.line;

  switch (kind) {
    case 'fork':
    case 'vfork':
    case 'clone':
    case 'clone3': {
      if (f.success !== true || exitValue === undefined || exitValue <= 0) break;
      let maybeThread = false;
      let newPidNamespace = false;
      let parentPid = pid;
      if (kind === 'clone' && archTable(f.arch) === undefined) {
        // Known only by its ENRICHED name: where this arch keeps the flags is unknown
        // (s390 has them in a1), so decide from later evidence like clone3.
        maybeThread = true;
      } else if (kind === 'clone') {
        const flags = f.a0 ?? 0;
        // A new thread, not a process: the thread group (pid) is unchanged.
        if ((flags & CLONE_THREAD) !== 0) break;
        // CLONE_PARENT: the child's parent is the caller's parent (the caller is its sibling).
        if ((flags & CLONE_PARENT) !== 0 && ppid !== undefined) parentPid = ppid;
        // CLONE_NEWPID: the child is pid 1 of a new pid namespace (a container's init).
        if ((flags & CLONE_NEWPID) !== 0) newPidNamespace = true;
      } else if (kind === 'clone3') {
        // clone3's flags sit in a struct behind a0: glibc uses it for threads and posix_spawn.
        // The struct is not in the record, so CLONE_NEWPID through clone3 is not seen either.
        maybeThread = true;
      }
      const fork: ForkEvent = {
        kind: 'fork',
        timestampNs,
        host,
        evidence,
        childPid: exitValue,
        parentPid,
        parentImage: imageOf(f, event.records, undefined),
        parentCreds: credsOf(f),
      };
      if (parentPid === pid && ppid !== undefined) fork.parentPpid = ppid;
      if (maybeThread) fork.maybeThread = true;
      if (newPidNamespace) fork.newPidNamespace = true;
      context.emit(fork);
      return;
    }
    case 'execve':
    case 'execveat': {
      if (f.success !== true) break;
      const exec: ExecEvent = { kind: 'exec', timestampNs, host, evidence, pid, image: imageOf(f, event.records, execve), creds: credsOf(f) };
      if (ppid !== undefined) exec.ppid = ppid;
      context.emit(exec);
      return;
    }
    case 'exit_group': {
      // Logged from do_exit: the syscall never returns, so there is no success=/exit=.
      const exit: ExitEvent = { kind: 'exit', timestampNs, host, evidence, pid, certainty: 'observed' };
      if (ppid !== undefined) exit.ppid = ppid;
      if (f.a0 !== undefined) exit.exitCode = f.a0 & 0xff;
      context.emit(exit);
      return;
    }
    default:
      // `exit` (one thread ends; audit's pid= is the group id, so the process lives on),
      // failed fork/exec, a kill (below), and every other syscall: evidence the process is alive.
      break;
  }
  const observed: ObservedEvent = { kind: 'observed', timestampNs, host, evidence, pid, image: imageOf(f, event.records, undefined), creds: credsOf(f) };
  if (ppid !== undefined) observed.ppid = ppid;
  context.emit(observed);
  if ((kind === 'kill' || kind === 'tkill' || kind === 'tgkill') && f.success === true) {
    // After the sender's own evidence: `timeout -s KILL` kills its own group, itself included.
    const signal = syscallArgLow32(syscall, kind === 'tgkill' ? 2 : 1);
    if (signal === SIGKILL) emitKilled(event, host, timestampNs, context);
  }
}

/**
 * A SIGKILL that was delivered ends its targets (the OBJ_PID records: one per process, a
 * group kill names each) with no exit record of their own: an inferred exit at the kill's
 * time. pid 1 is skipped: the kernel does not let a signal end init.
 */
function emitKilled(event: AssembledEvent, host: string | undefined, timestampNs: bigint, context: ToProcEventsContext): void {
  for (let i = 0; i < event.records.length; i++) {
    const record = event.records[i]!;
    if (record.type !== 'OBJ_PID') continue;
    const target = Number(singleField(record, 'opid'));
    if (!Number.isInteger(target) || target <= 1) continue;
    const position = event.positions[i]!;
    const evidence: EvidenceRef = { file: position.file, offset: position.offset, id: detach(event.id) };
    if (position.line !== undefined) evidence.line = position.line;
    context.emit({ kind: 'exit', timestampNs, host, evidence, pid: target, certainty: 'inferred', exitSignal: SIGKILL, inferredBecause: 'sigkill' });
  }
}
