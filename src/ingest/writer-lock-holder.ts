import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { parseStat } from '../proc/parse-stat.js';
import type { WriterHolder } from './writer-lock.js';

/** This process as a lock holder, taking the lock now. */
export function thisProcessAsHolder(command: string): WriterHolder {
  return {
    pid: process.pid,
    startTicks: startTicksOf(process.pid) ?? '',
    bootId: bootId(),
    hostname: hostname(),
    command,
    sinceMs: Date.now(),
    token: randomUUID(),
  };
}

/** Whether a recorded holder may still be writing; when not, why (for the take-over note). */
export type HolderState = { alive: true } | { alive: false; why: string };

/**
 * Judges a holder from /proc. A holder on another machine (a database on a shared
 * directory) cannot be looked up: it counts as alive. So does a pid that exists but
 * cannot be read (/proc mounted with hidepid, another user's process): kill(pid, 0) says
 * it exists, and without its start time it cannot be called stale.
 */
export function holderState(holder: WriterHolder): HolderState {
  if (holder.hostname !== hostname()) return { alive: true };
  const boot = bootId();
  if (holder.bootId !== '' && boot !== '' && holder.bootId !== boot) return { alive: false, why: 'the machine has rebooted since' };
  const gone = { alive: false as const, why: `pid ${holder.pid} is no longer running` };
  let stat;
  try {
    stat = parseStat(readFileSync(`/proc/${holder.pid}/stat`, 'latin1'));
  } catch {
    return exists(holder.pid) ? { alive: true } : gone;
  }
  if (stat === undefined) return { alive: true };
  if (stat.state === 'Z' || stat.state === 'X') return gone; // exited, not yet reaped
  if (holder.startTicks !== '' && String(stat.startTicks) !== holder.startTicks) {
    return { alive: false, why: `pid ${holder.pid} is now another process (it started after the holder)` };
  }
  return { alive: true };
}

function exists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function startTicksOf(pid: number): string | undefined {
  try {
    const stat = parseStat(readFileSync(`/proc/${pid}/stat`, 'latin1'));
    return stat === undefined ? undefined : String(stat.startTicks);
  } catch {
    return undefined;
  }
}

let cachedBootId: string | undefined;

function bootId(): string {
  if (cachedBootId === undefined) {
    try {
      cachedBootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      cachedBootId = ''; // no /proc: judged by pid and start time alone
    }
  }
  return cachedBootId;
}

/**
 * The command line as typed, for the holder's description: `proc-tree COMMAND ARGS`, each
 * argument quoted when the shell would need it.
 */
export function commandLine(command: string, args: readonly string[]): string {
  const quote = (a: string): string => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return ['proc-tree', command, ...args.map(quote)].join(' ');
}
