/**
 * The `parents` rows of the instances this writer created, kept in step with its own
 * writes, so that merging a late fork record (asked for ~1 fork in 9 on a busy real log:
 * 9,704 of 84,240) needs no SELECT for the instance's parent summary and first row.
 *
 * Exact, never a guess: an instance is followed from its INSERT on (it has no row written
 * by anyone else: one writer per database), so the rows listed are all its rows. Anything
 * else (an earlier run's instance, one evicted for the bound) is "unknown" and the writer
 * asks SQLite. Cleared when the writer's transaction is rolled back.
 */

/**
 * Instances followed, newest kept. A late fork is merged within LATE_FORK_MERGE_NS (2 s) of
 * its child's first record: 4,096 covers that window up to ~2,000 new processes a second
 * (the real 336 MB log: ~450/s, every merge answered here); beyond, SQLite answers.
 */
export const MAX_FOLLOWED_INSTANCES = 1 << 12;

/** One parent row as the ORDER BY of the writer's statements sees it. */
export interface ParentRow {
  id: number;
  sinceNs: bigint;
  ppid: number;
}

export class ParentRowsCache {
  private readonly rows = new Map<number, ParentRow[]>();
  /**
   * Followed ids in creation order, as a ring: the oldest is evicted from here. (Taking
   * `rows.keys().next()` instead walked over the deleted entries at the head of the Map's
   * table on every eviction: 0.2 CPU-s on the real log.)
   */
  private readonly order = new Float64Array(MAX_FOLLOWED_INSTANCES);
  private head = 0;
  /** Rows that may be updated by id later (orphaned rows, resolved once the reaper is known) -> their instance. */
  private readonly instanceOfRow = new Map<number, number>();

  /** A new instance: it has no parent row yet. */
  created(instanceId: number): void {
    const oldest = this.order[this.head]!;
    if (oldest !== 0) this.forget(oldest);
    this.order[this.head] = instanceId;
    this.head = (this.head + 1) % MAX_FOLLOWED_INSTANCES;
    this.rows.set(instanceId, []);
  }

  /** A row inserted for `instanceId` (nothing is done for an instance not followed). */
  inserted(instanceId: number, row: ParentRow, updatableById: boolean): void {
    const list = this.rows.get(instanceId);
    if (list === undefined) return;
    list.push(row);
    if (updatableById) this.instanceOfRow.set(row.id, instanceId);
  }

  /** Row `rowId` got a new ppid (an orphaned row resolved). */
  ppidSet(rowId: number, ppid: number): void {
    const instanceId = this.instanceOfRow.get(rowId);
    if (instanceId === undefined) return;
    this.instanceOfRow.delete(rowId);
    const row = this.rows.get(instanceId)?.find((r) => r.id === rowId);
    if (row !== undefined) row.ppid = ppid;
  }

  /** The rows of a followed instance (read-only), or undefined when it is not followed. */
  of(instanceId: number): readonly ParentRow[] | undefined {
    return this.rows.get(instanceId);
  }

  /** `ORDER BY since_ns, id LIMIT 1`. */
  first(list: readonly ParentRow[]): ParentRow | undefined {
    let best: ParentRow | undefined;
    for (const r of list) if (best === undefined || r.sinceNs < best.sinceNs || (r.sinceNs === best.sinceNs && r.id < best.id)) best = r;
    return best;
  }

  /** `ORDER BY since_ns DESC, id DESC LIMIT 1`. */
  latest(list: readonly ParentRow[]): ParentRow | undefined {
    let best: ParentRow | undefined;
    for (const r of list) if (best === undefined || r.sinceNs > best.sinceNs || (r.sinceNs === best.sinceNs && r.id > best.id)) best = r;
    return best;
  }

  clear(): void {
    this.rows.clear();
    this.instanceOfRow.clear();
    this.order.fill(0);
    this.head = 0;
  }

  private forget(instanceId: number): void {
    const list = this.rows.get(instanceId);
    if (list === undefined) return;
    if (this.instanceOfRow.size > 0) for (const r of list) this.instanceOfRow.delete(r.id);
    this.rows.delete(instanceId);
  }
}
