import type { ImageRow, InstanceRow, ParentRow } from './history-types.js';

/** Where a page of `instancesByStart` continues: after this (start, id). */
export interface InstanceCursor {
  startNs: bigint;
  id: number;
}

/** A time window; an open side is unbounded. */
export interface TimeWindow {
  fromNs?: bigint;
  toNs?: bigint;
}

/**
 * Bulk, time-ordered reads for renderers that walk a whole history (export, enrich, the
 * report): keyset pages and batch lookups, so memory stays flat on a million instances.
 * Part of the query port (HistoryReader); every method is one or two indexed statements.
 */
export interface HistoryRecordsReader {
  /** Names of hosts with process records, the default host as ''. */
  hosts(): Promise<string[]>;
  /**
   * Up to `limit` instances of `host` whose lifetime overlaps `window` (start <= to, and
   * end >= from or no end), ordered by (startNs, id), strictly after `after`.
   */
  instancesByStart(host: string, window: TimeWindow, after: InstanceCursor | undefined, limit: number): Promise<InstanceRow[]>;
  /** Every parent row of these instances, by instance, then time. */
  parentsOf(instanceIds: readonly number[]): Promise<ParentRow[]>;
  /** Every image row of these instances, by instance, then time. */
  imagesOf(instanceIds: readonly number[]): Promise<ImageRow[]>;
  /** These instances (missing ids are left out), in no particular order. */
  instancesById(instanceIds: readonly number[]): Promise<InstanceRow[]>;
}
