/**
 * Shapes the history store speaks in. They are plain data: no better-sqlite3 type leaks
 * to the queries' callers. Times are wall-clock ns since the epoch (`bigint`).
 */

/** Where a stored fact came from: enough to open the raw record again. */
export interface StoredEvidence {
  /** Path of the source as given at ingest (`sources.path`), when known. */
  file?: string;
  offset?: number;
  line?: number;
  /** The source's own record id, e.g. audit `1697091526.357:2638035`. */
  id?: string;
}

export type EndCertainty = 'observed' | 'inferred';

/** One process instance: a pid held from `startNs` to `endNs` on one host. */
export interface InstanceRow {
  id: number;
  host: string;
  pid: number;
  startNs: bigint;
  /** False: the process existed before the evidence; `startNs` is only "seen since". */
  startKnown: boolean;
  /** Undefined while alive (or unknown). */
  endNs?: bigint;
  endCertainty?: EndCertainty;
  /** Why an inferred end was concluded (`pid-reused`, `children-reparented`, ...). */
  endReason?: string;
  exitCode?: number;
  exitSignal?: number;
  creatorPid?: number;
  creatorId?: number;
  startEvidence?: StoredEvidence;
  endEvidence?: StoredEvidence;
}

/** How a parent link came to be known. */
export type ParentKind =
  | 'fork'
  | 'seen'
  | 'reparent'
  | 'reparent-unverified'
  /** The parent exited; the reaper is assumed to be init until a record names it. */
  | 'orphaned';

/** The parent in force from `sinceNs` until the next row of the same instance. */
export interface ParentRow {
  instanceId: number;
  sinceNs: bigint;
  ppid: number;
  /** The parent's instance, when it was known at write time. */
  parentId?: number;
  kind: ParentKind;
  evidence?: StoredEvidence;
}

export type ImageKind = 'exec' | 'seen' | 'creds' | 'comm';

/** Image fields as stored (creds flattened in). */
export interface ImageFields {
  exe?: string;
  argv?: string[];
  argvTruncated?: boolean;
  comm?: string;
  cwd?: string;
  uid?: number;
  euid?: number;
  gid?: number;
  auid?: number;
  user?: string;
  euser?: string;
}

/** What the process ran from `sinceNs` on, with whom it ran as. */
export interface ImageRow extends ImageFields {
  instanceId: number;
  sinceNs: bigint;
  kind: ImageKind;
  evidence?: StoredEvidence;
}

export interface LossRow {
  host: string;
  atNs: bigint;
  count?: number;
  reason: string;
  evidence?: StoredEvidence;
}

/** The default host's name in the store (events without `host`). */
export const DEFAULT_HOST = '';

/**
 * resume_state key: per host id, the time of the latest record ingested (decimal ns), written
 * by the history builder at every commit. It is where a host's history ends; deriving that
 * from the rows means reading every process alive at the last start (~0.2 s on 1M instances).
 */
export const LAST_RECORD_STATE_KEY = 'history.last-record-ns';
