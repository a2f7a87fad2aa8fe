/** What the history builder did, for the ingest summary. */
export interface HistoryBuilderStats {
  events: Record<string, number>;
  instancesOpened: number;
  instancesClosed: number;
  /** Instances closed because evidence showed them gone (pid reuse, reparented children). */
  inferredEnds: number;
  reparents: number;
  /** Same pid, different parent while the old parent lived: a new process we never saw forked. */
  unseenPidReuses: number;
  /** Early "seen since" sightings merged into the fork record that came after them. */
  lateForksMerged: number;
  threadsConfirmed: number;
  pendingThreadsDropped: number;
  losses: number;
  /** Processes found to fork inside a pid namespace (their forks return namespace-local pids). */
  namespacedCallers: number;
  /** Instances opened under a namespace-local pid before that was known, then withdrawn. */
  namespaceForksWithdrawn: number;
  /** Children of namespaced processes matched to one of their creator's fork records. */
  namespaceChildrenMatched: number;
}

export function newBuilderStats(): HistoryBuilderStats {
  return {
    events: {},
    instancesOpened: 0,
    instancesClosed: 0,
    inferredEnds: 0,
    reparents: 0,
    unseenPidReuses: 0,
    lateForksMerged: 0,
    threadsConfirmed: 0,
    pendingThreadsDropped: 0,
    losses: 0,
    namespacedCallers: 0,
    namespaceForksWithdrawn: 0,
    namespaceChildrenMatched: 0,
  };
}
