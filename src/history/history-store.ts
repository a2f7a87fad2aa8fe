import type { ImageRow, InstanceRow, LossRow, ParentRow } from './history-types.js';

/**
 * The query port: a history the queries read, SQLite or PostgreSQL alike. Nothing of SQL
 * leaks through it; every lookup goes through `read`, on one consistent snapshot.
 */
export interface HistoryStore {
  /**
   * Runs `fn` on one consistent snapshot (a single read transaction): every lookup of `fn`
   * sees the same state even while an ingest commits. SQLite: one transaction on the file
   * (not one per lookup: measured, about half the cost of a lookup); PostgreSQL: one
   * connection in a REPEATABLE READ READ ONLY transaction.
   */
  read<T>(fn: (reader: HistoryReader) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  readonly backend: 'sqlite' | 'postgres';
}

/**
 * The lookups of one snapshot (see HistoryStore.read); valid only until `read`'s promise
 * settles. Every method is a narrow indexed lookup so that `ancestryAt` stays far below a
 * millisecond on SQLite, and one round trip on PostgreSQL.
 */
export interface HistoryReader {
  /** Names of hosts with process records, the default host as ''. */
  hosts(): Promise<string[]>;
  /** Instances of `pid` alive at `atNs` (start <= at < end, or no end yet), best candidate first. */
  instancesAt(host: string, pid: number, atNs: bigint): Promise<InstanceRow[]>;
  /** Every instance that ever held `pid`, oldest first. */
  instancesOfPid(host: string, pid: number): Promise<InstanceRow[]>;
  /** The hosts (of `hosts()`, in its order) where some instance ever held `pid`: one statement for all hosts. */
  hostsWithPid(pid: number): Promise<string[]>;
  instance(id: number): Promise<InstanceRow | undefined>;
  /** The parent row in force at `atNs` (the first row when `atNs` precedes them all). */
  parentAt(instanceId: number, atNs: bigint): Promise<ParentRow | undefined>;
  parents(instanceId: number): Promise<ParentRow[]>;
  /**
   * The instance's own image row in force at `atNs` (forked children may have none yet).
   * `atSerial`: the time is an audit event; rows of the same millisecond recorded by a later
   * event (higher serial) were not in force yet.
   */
  ownImageAt(instanceId: number, atNs: bigint, atSerial?: number): Promise<ImageRow | undefined>;
  images(instanceId: number): Promise<ImageRow[]>;
  /**
   * The instances of `ids` (in that order, unknown ids left out), each with its images as
   * `images` gives them: a few statements for a whole result list (find), not two per id.
   */
  instancesWithImages(ids: readonly number[]): Promise<{ instance: InstanceRow; images: ImageRow[] }[]>;
  /** Time of the newest stored evidence that the instance was alive (start, parent change, image, a fork it made). */
  lastEvidenceNs(instanceId: number): Promise<bigint>;
  /**
   * A whole chain in one read: the link of `instanceId` at `atNs`, then, while the step is
   * certain to be the one `ancestryAt` takes, the next ancestor's link (lineage `parent`: the
   * recorded parent instance of `parentAt`, when its ppid is not 0 and it was alive at `atNs`;
   * `creator`: the creator instance). Rows come without evidence (ancestry does not show it).
   * `atSerial`: as for `ownImageAt` (images and parent rows).
   */
  chainAt(instanceId: number, atNs: bigint, lineage: 'parent' | 'creator', atSerial?: number): Promise<ChainRow[]>;
  /** Instances that had `parentId` as parent or creator at some time. */
  childrenOf(parentId: number): Promise<InstanceRow[]>;
  /** Instances alive at `atNs` on `host`. */
  aliveAt(host: string, atNs: bigint): Promise<InstanceRow[]>;
  /** `aliveAt` as links (instance, parent row and image at `atNs`) read in one statement, for trees. */
  aliveLinksAt(host: string, atNs: bigint, atSerial?: number): Promise<ChainRow[]>;
  /** Instances whose lifetime overlaps [fromNs, toNs] on `host`. */
  overlapping(host: string, fromNs: bigint, toNs: bigint): Promise<InstanceRow[]>;
  /** Instance ids with an image row matching (substring of exe/argv/comm, or user name/uid). */
  instancesWithImage(host: string | undefined, match: ImageMatch): Promise<number[]>;
  /** The first record of `host`'s history (index seeks, no scan); undefined for a host with no records. */
  historyStartNs(host: string): Promise<bigint | undefined>;
  /**
   * The last record of `host`'s history: its last process start (index seeks), or a later
   * end, exec or parent change of a process alive then (reads every instance alive at the
   * last start, a tree's worth). With `atNs`: when the last start is at or after `atNs`,
   * that start is returned without the second read (enough to tell atNs is not after the history).
   */
  historyEndNs(host: string, atNs?: bigint): Promise<bigint | undefined>;
  /** Every input ever ingested, in ingest order, named as at ingest (`path`, `-`, `archive.zip!/entry`). */
  sourcePaths(): Promise<string[]>;
  /**
   * Each input's stored content hash (SHA-256 of its first `bytes` bytes as ingested,
   * decompressed for .gz and zip entries), by its name as in sourcePaths; an input without
   * one (ingested before the hash was kept) is absent. Read with the names at open.
   */
  sourceDigests(): Promise<Map<string, SourceDigest>>;
  /** Loss records on `host` within [fromNs, toNs]. */
  lossesBetween(host: string, fromNs: bigint, toNs: bigint): Promise<LossRow[]>;
}

/** One link of `chainAt`: the instance with its parent row and own image row in force at the time. */
export interface ChainRow {
  instance: InstanceRow;
  /** What `parentAt(instance.id, atNs)` returns. */
  parent?: ParentRow;
  /** What `ownImageAt(instance.id, atNs)` returns. */
  image?: ImageRow;
  /** Without an own image: `ownImageAt(instance.creatorId, instance.startNs)`, what it inherited at fork. */
  creatorImage?: ImageRow;
}

export interface ImageMatch {
  cmdContains?: string;
  /** User name or numeric uid. */
  user?: string;
  /**
   * Only instances alive at some point of [fromNs, toNs] (fromNs = toNs: alive at that time)
   * may be returned; others may be too, callers still filter (a database without the
   * lifetime index answers by a scan).
   */
  alive?: { fromNs: bigint; toNs: bigint };
}

/** A source's stored content hash: SHA-256 hex of its content's bytes 0..`bytes`. */
export interface SourceDigest {
  sha256: string;
  bytes: number;
}

/** Path -> digest; a path in several sources (hosts) keeps the last ingested (highest id). */
export function digestsByPath(files: ReadonlyMap<number, string>, digests: ReadonlyMap<number, SourceDigest>): Map<string, SourceDigest> {
  const out = new Map<string, SourceDigest>();
  for (const [id, path] of [...files.entries()].sort((a, b) => a[0] - b[0])) {
    const d = digests.get(id);
    if (d !== undefined) out.set(path, d);
  }
  return out;
}
