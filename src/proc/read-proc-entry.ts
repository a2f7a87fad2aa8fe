import { readFileSync, readlinkSync } from 'node:fs';
import type { PidNode, ProcInfo } from '../tree/types.js';
import { parseCmdline } from './parse-cmdline.js';
import { parseStat } from './parse-stat.js';
import { parseStatus } from './parse-status.js';
import { pidDir, type ProcOptions } from './proc-options.js';
import { startTicksToEpochNs } from './start-time.js';
import { userName } from './user-names.js';

/** Why a /proc entry could not be read. */
export type ProcEntryProblem =
  /** No such process (never existed, or exited before or while we read it). */
  | 'gone'
  /** It exists but we may not read it (hidepid mount, permissions) or its text is malformed. */
  | 'unreadable'
  /**
   * A thread id, not a process: /proc/TID is reachable though not listed. Its parent
   * would be the thread group's parent, which is a wrong ancestry for a "process" TID.
   */
  | 'thread';

export type ProcEntryResult =
  | { ok: true; node: PidNode; info: ProcInfo }
  | { ok: false; problem: ProcEntryProblem; detail: string; /** For 'thread': its process. */ tgid?: number };

function errnoOf(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error ? String(error.code) : undefined;
}

function failure(pid: number, file: string, error: unknown): ProcEntryResult {
  const code = errnoOf(error);
  if (code === 'ENOENT' || code === 'ESRCH') return { ok: false, problem: 'gone', detail: `no process ${pid}` };
  return { ok: false, problem: 'unreadable', detail: `cannot read ${file}: ${code ?? String(error)}` };
}

/**
 * Reads one process from /proc: stat (ppid, name, start), status (uids), cmdline, exe.
 * stat is read first and decides existence; the optional parts degrade to unknown values,
 * because a process may exit between two reads and a kernel thread has no exe.
 */
export function readProcEntry(pid: number, options: ProcOptions = {}): ProcEntryResult {
  const dir = pidDir(pid, options);
  let statText: string;
  let statusText: string;
  try {
    statText = readFileSync(`${dir}/stat`, 'utf8');
  } catch (error) {
    return failure(pid, `${dir}/stat`, error);
  }
  try {
    statusText = readFileSync(`${dir}/status`, 'utf8');
  } catch (error) {
    return failure(pid, `${dir}/status`, error);
  }
  const stat = parseStat(statText);
  const status = parseStatus(statusText);
  if (!stat || !status) return { ok: false, problem: 'unreadable', detail: `malformed ${dir}/stat or status` };
  if (status.tgid !== pid) {
    return { ok: false, problem: 'thread', detail: `${pid} is a thread of process ${status.tgid}`, tgid: status.tgid };
  }
  const [uid, euid] = status.uids;
  const startTimeNs = startTicksToEpochNs(stat.startTicks);
  const info: ProcInfo = {
    pid,
    ppid: stat.ppid,
    cmd: stat.comm,
    exe: readExe(dir),
    argv: readArgv(dir),
    user: userName(uid),
    uid,
    euid,
    startTimeNs,
  };
  return { ok: true, node: { ppid: stat.ppid, cmd: stat.comm, startTimeNs }, info };
}

/**
 * Crate-compatible form: the node and the info of a live process, or undefined when it
 * does not exist or cannot be read. Use readProcEntry to learn which.
 */
export function parseProcEntry(pid: number, options: ProcOptions = {}): [PidNode, ProcInfo] | undefined {
  const entry = readProcEntry(pid, options);
  return entry.ok ? [entry.node, entry.info] : undefined;
}

function readExe(dir: string): string {
  try {
    return readlinkSync(`${dir}/exe`);
  } catch {
    return ''; // kernel thread, exited, or not permitted
  }
}

function readArgv(dir: string): string[] {
  try {
    return parseCmdline(readFileSync(`${dir}/cmdline`, 'utf8'));
  } catch {
    return [];
  }
}
