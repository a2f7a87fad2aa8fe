import type { ProcOptions } from '../proc/proc-options.js';
import { readProcEntry } from '../proc/read-proc-entry.js';
import { tickNs } from '../proc/start-time.js';
import type { PidNode, ProcInfo } from './types.js';

/**
 * The live /proc entry of pid, but only if that process already existed at eventTimeNs.
 * A process that started later merely reused the pid: its data must not be attributed to
 * the event (this is what keeps a replayed or delayed event from picking up a stranger).
 */
export function liveEntryAt(
  pid: number,
  eventTimeNs: bigint,
  options: ProcOptions,
): { node: PidNode; info: ProcInfo } | undefined {
  const entry = readProcEntry(pid, options);
  if (!entry.ok || entry.info.startTimeNs > eventTimeNs + tickNs()) return undefined;
  return { node: entry.node, info: entry.info };
}
