import { listPids, readProcEntry } from '../../src/proc/index.js';

/** One process as /proc showed it; ns values are decimal strings (JSON-safe). */
export interface SnapshotProcess {
  pid: number;
  ppid: number;
  comm: string;
  exe?: string;
  argv?: string[];
  uid?: number;
  euid?: number;
  /** Wall-clock ns since the epoch (boot time + starttime ticks; 10 ms resolution). */
  startTimeNs: string;
}

/** Every process in /proc at one moment, as stored beside a capture (FILE.snapshot.json). */
export interface ProcSnapshot {
  /** Wall-clock ns when the walk over /proc began. */
  takenAtNs: string;
  processes: SnapshotProcess[];
}

/**
 * Reads every process from /proc. Processes that exit during the walk are simply absent
 * (they show up as FORK/EXIT in the connector stream, which is subscribed first).
 */
export function readProcSnapshot(nowNs: () => bigint): ProcSnapshot {
  const takenAtNs = nowNs();
  const processes: SnapshotProcess[] = [];
  for (const pid of listPids()) {
    const entry = readProcEntry(pid);
    if (!entry.ok) continue;
    const { info } = entry;
    const process: SnapshotProcess = { pid, ppid: info.ppid, comm: info.cmd, startTimeNs: info.startTimeNs.toString() };
    if (info.exe) process.exe = info.exe;
    if (info.argv.length > 0) process.argv = info.argv;
    if (info.uid >= 0) process.uid = info.uid;
    if (info.euid >= 0) process.euid = info.euid;
    processes.push(process);
  }
  return { takenAtNs: takenAtNs.toString(), processes };
}
