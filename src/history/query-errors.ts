import { UserError } from '../cli/user-error.js';
import { formatTimeNs } from '../time/format-time.js';
import { outsideHistory } from './history-span.js';
import type { HistoryReader } from './history-store.js';
import type { InstanceRow } from './history-types.js';

/**
 * No instance of the pid was alive (by the records) at that time: the CLI prints it and
 * exits non-zero. `headline` replaces "no process with pid P at T" when the records cannot
 * rule the process out (e.g. it was first recorded later, its start unknown).
 */
export class NoProcessAtTimeError extends UserError {
  constructor(
    readonly pid: number,
    readonly atNs: bigint,
    host: string | undefined,
    hint: string,
    headline?: string,
  ) {
    super(`${headline ?? `no process with pid ${pid} at ${formatTimeNs(atNs)}${host ? ` on host ${host}` : ''}`}${hint ? `: ${hint}` : ''}`);
    this.name = 'NoProcessAtTimeError';
  }
}

/**
 * No instance of pid alive at atNs: say what the history does show. When the next holder
 * was only "seen since" (start unknown), it may well have been running already: say that
 * rather than a flat "no process".
 */
export async function noProcessAtTime(store: HistoryReader, host: string, pid: number, atNs: bigint, givenHost: string | undefined): Promise<NoProcessAtTimeError> {
  const outside = await outsideHistory(store, host, atNs);
  if (outside?.side === 'before') return new NoProcessAtTimeError(pid, atNs, givenHost, outside.note);
  const all = await store.instancesOfPid(host, pid);
  if (outside !== undefined) {
    // After the history's end: a recorded exit of the pid's last holder is the answer, not
    // the end of the records.
    const last = all.filter((i) => i.startNs <= atNs).at(-1);
    if (last?.endNs !== undefined) {
      return new NoProcessAtTimeError(pid, atNs, givenHost, `it exited at ${formatTimeNs(last.endNs)}, and no later holder of pid ${pid} was recorded before the history ends (see 'proc-tree timeline ${pid}')`);
    }
    return new NoProcessAtTimeError(pid, atNs, givenHost, outside.note);
  }
  if (all.length === 0) return new NoProcessAtTimeError(pid, atNs, givenHost, 'the history has no record of that pid');
  let before: InstanceRow | undefined;
  let after: InstanceRow | undefined;
  for (const i of all) {
    if (i.startNs > atNs) {
      after ??= i;
    } else before = i;
  }
  const previous = before?.endNs !== undefined ? `the previous holder ended at ${formatTimeNs(before.endNs)}` : undefined;
  const see = `see 'proc-tree timeline ${pid}'`;
  if (after !== undefined && !after.startKnown) {
    const headline = `pid ${pid} was first recorded at ${formatTimeNs(after.startNs)} (start unknown): it may already have been running at ${formatTimeNs(atNs)}${givenHost ? ` on host ${givenHost}` : ''}`;
    return new NoProcessAtTimeError(pid, atNs, givenHost, `${previous !== undefined ? `${previous}; ` : ''}${see}`, headline);
  }
  const parts: string[] = [];
  if (previous !== undefined) parts.push(previous);
  if (after !== undefined) parts.push(`the next one started at ${formatTimeNs(after.startNs)}`);
  return new NoProcessAtTimeError(pid, atNs, givenHost, `${parts.join(', ')} (${see})`);
}
