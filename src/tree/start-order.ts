import { tickNs } from '../proc/start-time.js';
import type { PidNode } from './types.js';

/**
 * False when `parent` cannot be the process that created `child`: it started after the
 * child (by more than one clock tick, the resolution of /proc start times). That happens
 * when the real parent exited and a newer process took its pid; following the pid would
 * put a stranger into the chain. Unknown start times give the benefit of the doubt.
 */
export function couldBeParent(parent: PidNode, child: PidNode): boolean {
  if (parent.startTimeNs === undefined || child.startTimeNs === undefined) return true;
  return parent.startTimeNs <= child.startTimeNs + tickNs();
}
