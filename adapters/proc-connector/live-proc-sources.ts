import { readFileSync } from 'node:fs';
import { parseStat, readProcEntry } from '../../src/proc/index.js';
import type { ProcessImage } from '../../src/events/proc-event.js';
import type { LiveRecord } from './capture-files.js';
import type { ExecImage, ImageSource, ReaperSource } from './to-proc-events.js';

/** A /proc start time this far from the FORK we saw belongs to another process (pid reuse). */
const START_MISMATCH_NS = 50_000_000n;
/** exit_notify (which reparents) runs a little after the EXIT message: retries, 1 ms apart. */
const REPARENT_READ_ATTEMPTS = 4;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * Exec images read from /proc/PID at the moment the batch is processed, usually well under
 * a millisecond after the exec. Racy by nature: a process that exits first is `missed`,
 * one that exec'd again in the same batch is `missed` rather than given the later image,
 * and a pid whose /proc start time does not match its FORK is a reused pid, also missed.
 */
export function liveImages(monotonicToRealtimeNs: bigint, record?: (r: LiveRecord) => void): ImageSource {
  return {
    imageAtExec(pid, context): ExecImage {
      const result = readImage(pid, context.superseded, context.forkMonotonicNs, monotonicToRealtimeNs);
      if (record) {
        const line: LiveRecord = { type: 'exec', offset: context.offset, id: context.id, pid, image: result.image };
        if (result.missed !== undefined) line.missed = result.missed;
        record(line);
      }
      return result;
    },
  };
}

function readImage(pid: number, superseded: boolean, forkMonotonicNs: bigint | undefined, offsetNs: bigint): ExecImage {
  if (superseded) return { image: {}, missed: 'it exec\'d again or exited before /proc was read' };
  const entry = readProcEntry(pid);
  if (!entry.ok) return { image: {}, missed: `it exited before /proc was read (${entry.detail})` };
  const { info } = entry;
  if (forkMonotonicNs !== undefined) {
    const forkWallNs = forkMonotonicNs + offsetNs;
    const diff = info.startTimeNs > forkWallNs ? info.startTimeNs - forkWallNs : forkWallNs - info.startTimeNs;
    if (diff > START_MISMATCH_NS) return { image: {}, missed: 'its pid was reused before /proc was read' };
  }
  const image: ProcessImage = { comm: info.cmd };
  if (info.exe) image.exe = info.exe;
  if (info.argv.length > 0) image.argv = info.argv;
  // A zombie keeps its comm but has no exe and an empty cmdline.
  if (!info.exe && info.argv.length === 0) return { image, missed: 'it had already exited (zombie) when /proc was read' };
  // The connector's EXEC carries no credentials: /proc/PID/status says who it runs as (watch
  // names them, local-user-names.ts; a capture's replay keeps the numbers).
  return info.uid >= 0 ? { image, creds: { uid: info.uid, euid: info.euid } } : { image };
}

/** Reaper read from /proc/CHILD/stat right after the parent's EXIT (see REPARENT_READ_ATTEMPTS). */
export function liveReapers(record?: (r: LiveRecord) => void): ReaperSource {
  return {
    newParent(childPid, context) {
      let result = { ppid: 1, how: 'init-default' };
      for (let attempt = 0; attempt < REPARENT_READ_ATTEMPTS; attempt++) {
        const ppid = readPpid(childPid);
        if (ppid === undefined) break; // the child is gone too: its own EXIT will follow
        if (ppid !== context.exitingPid) {
          result = { ppid, how: 'proc' };
          break;
        }
        Atomics.wait(sleeper, 0, 0, 1);
      }
      record?.({ type: 'reparent', offset: context.offset, id: context.id, pid: childPid, exitingPid: context.exitingPid, ...result });
      return result;
    },
  };
}

function readPpid(pid: number): number | undefined {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.ppid;
  } catch {
    return undefined;
  }
}
