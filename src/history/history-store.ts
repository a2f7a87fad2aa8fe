import type { ImageRow, InstanceRow, LossRow, ParentRow } from './history-types.js';

/**
 * Read side of the history: what the queries need, nothing of SQLite. Every method is a
 * narrow indexed lookup so that `ancestryAt` stays far below a millisecond.
 */
export interface HistoryStore {
  /**
   * Runs `fn` on one consistent snapshot (a single read transaction): every query sees the
   * same state even while an ingest commits, and SQLite does not pay for a read
   * transaction per lookup (measured: about half the cost of a lookup).
   */
  read<T>(fn: () => T): T;
  /** Names of hosts with process records, the default host as ''. */
  hosts(): string[];
  /** Instances of `pid` alive at `atNs` (start <= at < end, or no end yet), best candidate first. */
  instancesAt(host: string, pid: number, atNs: bigint): InstanceRow[];
  /** Every instance that ever held `pid`, oldest first. */
  instancesOfPid(host: string, pid: number): InstanceRow[];
  instance(id: number): InstanceRow | undefined;
  /** The parent row in force at `atNs` (the first row when `atNs` precedes them all). */
  parentAt(instanceId: number, atNs: bigint): ParentRow | undefined;
  parents(instanceId: number): ParentRow[];
  /** The instance's own image row in force at `atNs` (forked children may have none yet). */
  ownImageAt(instanceId: number, atNs: bigint): ImageRow | undefined;
  images(instanceId: number): ImageRow[];
  /** Time of the newest stored evidence that the instance was alive (start, parent change, image, a fork it made). */
  lastEvidenceNs(instanceId: number): bigint;
  /** Instances that had `parentId` as parent or creator at some time. */
  childrenOf(parentId: number): InstanceRow[];
  /** Instances alive at `atNs` on `host`. */
  aliveAt(host: string, atNs: bigint): InstanceRow[];
  /** Instances whose lifetime overlaps [fromNs, toNs] on `host`. */
  overlapping(host: string, fromNs: bigint, toNs: bigint): InstanceRow[];
  /** Instance ids with an image row matching (substring of exe/argv/comm, or user name/uid). */
  instancesWithImage(host: string | undefined, match: ImageMatch): number[];
  /** Loss records on `host` within [fromNs, toNs]. */
  lossesBetween(host: string, fromNs: bigint, toNs: bigint): LossRow[];
  close(): void;
}

export interface ImageMatch {
  cmdContains?: string;
  /** User name or numeric uid. */
  user?: string;
}
