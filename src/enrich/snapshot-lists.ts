import type { ChainRow, HistoryReader } from '../history/history-store.js';
import type { ImageRow, InstanceRow, LossRow, ParentRow } from '../history/history-types.js';

/** Keys (pids, instances) whose rows are kept; each map is emptied when full, so memory stays bounded. */
const MAX_KEYS = 4096;
/** A pid or instance with more rows than this is asked of the store each time (rows kept small). */
const MAX_ROWS = 64;
/**
 * A pid that had more instances than this is left to the store's `instancesAt`: on a long
 * history a pid is reused dozens of times (the 1M-instance bench: ~30 each), and keeping
 * them all cost more reads and 370 MiB more RSS than the statement it saves.
 */
const MAX_PID_ROWS = 8;
/** Pids read before judging whether this history's pids are worth reading (see pidRows). */
const PID_SAMPLE = 256;
/** chainAt's own depth limit (its recursion stops at n = 255). */
const MAX_DEPTH = 255;
/** A host's loss records are kept when there are no more than this (one row per loss record of the log). */
const MAX_LOSSES = 4096;
/** Bounds of a signed 64-bit time column: every loss record of a host. */
const MIN_NS = -(2n ** 63n);
const MAX_NS = 2n ** 63n - 1n;
/** instancesAt's own limit (LIMIT 8). */
const MAX_ALIVE = 8;

/**
 * The lookups enrich makes for every event, answered from the rows of each pid and instance
 * read once per snapshot: `instancesOfPid`, `images`, `parents` and `instance` are each one
 * indexed read, while the same parent (a shell, sshd, systemd) is in thousands of chains.
 * Measured on a real ENRICHED log (18,714 events): 150k statements before, 30k after.
 *
 * Each answer is the one the store's statement gives: the same rows, chosen by the same
 * order (`since_ns, id`; `start_ns DESC` then known starts first) and the same audit-serial
 * rules for rows of the query's own millisecond (`notAfterEvent`, `execAfterFork`). Where
 * the statement would read an id this code does not (no id, a serial that is not plain
 * digits) or SQL leaves the order open (two live instances with one start), the store is
 * asked instead. test/enrich/chain-reuse.test.ts compares with the plain path.
 */
export class SnapshotLists {
  private readonly pids = new Map<string, Promise<InstanceRow[] | undefined>>();
  private readonly byId = new Map<number, Promise<InstanceRow | undefined>>();
  private readonly imageRows = new Map<number, Promise<ImageRow[] | undefined>>();
  private readonly parentRows = new Map<number, Promise<ParentRow[] | undefined>>();
  private readonly losses = new Map<string, Promise<LossRow[] | undefined>>();
  private pidsLoaded = 0;
  private pidsTooLong = 0;

  constructor(private readonly reader: HistoryReader) {}

  async instancesOfPid(host: string, pid: number): Promise<InstanceRow[]> {
    return (await this.pidRows(host, pid)) ?? this.reader.instancesOfPid(host, pid);
  }

  instance(id: number): Promise<InstanceRow | undefined> {
    return cached(this.byId, id, () => this.reader.instance(id));
  }

  async images(id: number): Promise<ImageRow[]> {
    return (await this.imagesOf(id)) ?? this.reader.images(id);
  }

  async parents(id: number): Promise<ParentRow[]> {
    return (await this.parentsOf(id)) ?? this.reader.parents(id);
  }

  /** Every instance of `pid` when it had few (MAX_PID_ROWS), else undefined, without reading it again. */
  pidInstances(host: string, pid: number): Promise<InstanceRow[] | undefined> {
    return this.pidRows(host, pid);
  }

  /** Undefined: a pid with too many instances to keep (the caller asks the store). */
  async instancesAt(host: string, pid: number, atNs: bigint): Promise<InstanceRow[] | undefined> {
    const all = await this.pidRows(host, pid);
    if (all === undefined) return undefined;
    // Oldest first (start_ns, id): reversed, newest start first as the statement orders them.
    const alive = all.filter((i) => i.startNs <= atNs && (i.endNs === undefined || i.endNs > atNs)).reverse();
    for (let k = 1; k < alive.length; k++) if (alive[k]!.startNs === alive[k - 1]!.startNs) return this.reader.instancesAt(host, pid, atNs);
    return alive.slice(0, MAX_ALIVE).sort((a, b) => Number(b.startKnown) - Number(a.startKnown));
  }

  async ownImageAt(id: number, atNs: bigint, atSerial?: number): Promise<ImageRow | undefined> {
    const rows = await this.imagesOf(id);
    const row = rows === undefined ? ASK : inForce(rows, atNs, atSerial);
    return row === ASK ? this.reader.ownImageAt(id, atNs, atSerial) : row;
  }

  async parentAt(id: number, atNs: bigint): Promise<ParentRow | undefined> {
    const rows = await this.parentsOf(id);
    if (rows === undefined) return this.reader.parentAt(id, atNs);
    return (inForce(rows, atNs) as ParentRow | undefined) ?? rows[0];
  }

  async lossesBetween(host: string, fromNs: bigint, toNs: bigint): Promise<LossRow[]> {
    const all = await cached(this.losses, host, async () => {
      const rows = await this.reader.lossesBetween(host, MIN_NS, MAX_NS);
      return rows.length > MAX_LOSSES ? undefined : rows;
    });
    return all === undefined ? this.reader.lossesBetween(host, fromNs, toNs) : all.filter((l) => l.atNs >= fromNs && l.atNs <= toNs);
  }

  // The rows of a pid or instance, undefined when there are too many to keep.
  private pidRows(host: string, pid: number): Promise<InstanceRow[] | undefined> {
    // Most pids of this history reused many times over: stop reading their lists at all.
    if (this.pidsLoaded >= PID_SAMPLE && this.pidsTooLong * 2 > this.pidsLoaded) return Promise.resolve(undefined);
    return cached(this.pids, `${host}\0${pid}`, async () => {
      const rows = await this.reader.instancesOfPid(host, pid);
      this.pidsLoaded++;
      if (rows.length <= MAX_PID_ROWS) return rows;
      this.pidsTooLong++;
      return undefined;
    });
  }

  private imagesOf(id: number): Promise<ImageRow[] | undefined> {
    return cached(this.imageRows, id, async () => few(await this.reader.images(id)));
  }

  private parentsOf(id: number): Promise<ParentRow[] | undefined> {
    return cached(this.parentRows, id, async () => few(await this.reader.parents(id)));
  }

  /** `chainAt` of lineage `parent` (what enrich asks); the store answers the rest. */
  async chainAt(id: number, atNs: bigint, lineage: 'parent' | 'creator', atSerial?: number): Promise<ChainRow[]> {
    return (lineage === 'parent' ? await this.parentChain(id, atNs, atSerial) : undefined) ?? this.reader.chainAt(id, atNs, lineage, atSerial);
  }

  /**
   * The statement's walk (sqlite-history-store.ts chainSql): each link with its parent row
   * in force (else its first one), its own image in force (else its creator's at the fork),
   * then the parent row's instance while its ppid is not 0 and it is alive at `atNs`.
   * Undefined when a row's audit id is not one the serial rules read plainly: the store answers.
   */
  private async parentChain(selfId: number, atNs: bigint, atSerial: number | undefined): Promise<ChainRow[] | undefined> {
    const out: ChainRow[] = [];
    let inst = await this.instance(selfId);
    for (let n = 0; inst !== undefined; n++) {
      const parents = await this.parentsOf(inst.id);
      const images = await this.imagesOf(inst.id);
      if (parents === undefined || images === undefined) return undefined;
      const inForceParent = inForce(parents, atNs, atSerial);
      const image = inForce(images, atNs, atSerial);
      if (inForceParent === ASK || image === ASK) return undefined;
      const parent = inForceParent ?? parents[0];
      const row: ChainRow = { instance: withoutEvidence(inst) };
      if (parent !== undefined) row.parent = parentWithoutEvidence(parent);
      if (image !== undefined) row.image = imageWithoutEvidence(image);
      else if (inst.creatorId !== undefined) {
        const inherited = await this.imagesOf(inst.creatorId);
        if (inherited === undefined) return undefined;
        const atFork = inheritedAt(inherited, inst);
        if (atFork === ASK) return undefined;
        if (atFork !== undefined) row.creatorImage = imageWithoutEvidence(atFork);
      }
      out.push(row);
      if (n >= MAX_DEPTH || parent === undefined || parent.ppid === 0 || parent.parentId === undefined) break;
      const up = await this.instance(parent.parentId);
      if (up === undefined || up.startNs > atNs || (up.endNs !== undefined && up.endNs <= atNs)) break;
      inst = up;
    }
    return out;
  }
}

/** Ask the store: the statement reads a row's audit id in a way not repeated here. */
const ASK = Symbol('ask the store');

/**
 * The row in force at `atNs` of rows ordered by (since_ns, id): the last one since then or
 * before. With `atSerial` (the time is an audit event), a row of that very millisecond
 * recorded by a later event is not in force yet (the statements' `notAfterEvent`).
 */
function inForce<T extends { sinceNs: bigint; evidence?: { id?: string } }>(rows: T[], atNs: bigint, atSerial?: number): T | undefined | typeof ASK {
  let found: T | undefined;
  for (const r of rows) {
    if (r.sinceNs > atNs) break;
    if (atSerial !== undefined && r.sinceNs === atNs) {
      // NOT (since_ns = @at AND instr(rec, ':') > 0 AND CAST(serial) > @serial): a NULL rec
      // makes the condition NULL (the row is left out); leave such reading to SQL.
      const serial = serialOf(r.evidence?.id);
      if (serial === ASK || r.evidence?.id === undefined) return ASK;
      if (serial !== null && serial > atSerial) continue;
    }
    found = r;
  }
  return found;
}

/**
 * What a child ran at its fork without an exec of its own: its creator's image in force at
 * its start, except one the creator exec'd after the fork in the same millisecond (by audit
 * serials, the statements' `execAfterFork`; without a serial on both, the exec counts as before).
 */
function inheritedAt(rows: ImageRow[], child: InstanceRow): ImageRow | undefined | typeof ASK {
  let found: ImageRow | undefined;
  const startSerial = serialOf(child.startEvidence?.id);
  for (const r of rows) {
    if (r.sinceNs > child.startNs) break;
    if (r.sinceNs === child.startNs) {
      const serial = serialOf(r.evidence?.id);
      if (serial === ASK || startSerial === ASK) return ASK;
      if (serial !== null && startSerial !== null && serial > startSerial) continue;
    }
    found = r;
  }
  return found;
}

/** The serial of an audit id `SECONDS.MS:SERIAL`; null without a ':' (or without an id); ASK for anything else. */
function serialOf(id: string | undefined): number | null | typeof ASK {
  if (id === undefined) return null;
  const colon = id.indexOf(':');
  if (colon < 0) return null;
  const digits = id.slice(colon + 1);
  return /^[0-9]{1,15}$/.test(digits) ? Number(digits) : ASK;
}

function few<T>(rows: T[]): T[] | undefined {
  return rows.length > MAX_ROWS ? undefined : rows;
}

// chainAt's rows carry no evidence (see toChainRow): the same objects, so the same answers.
function withoutEvidence(inst: InstanceRow): InstanceRow {
  const { startEvidence: _s, endEvidence: _e, ...rest } = inst;
  return rest;
}

function parentWithoutEvidence(row: ParentRow): ParentRow {
  const { evidence: _e, ...rest } = row;
  return rest;
}

function imageWithoutEvidence(row: ImageRow): ImageRow {
  const { evidence: _e, ...rest } = row;
  return rest;
}

function cached<K, T>(map: Map<K, Promise<T>>, key: K, load: () => Promise<T>): Promise<T> {
  let value = map.get(key);
  if (value === undefined) {
    if (map.size >= MAX_KEYS) map.clear();
    map.set(key, (value = load()));
  }
  return value;
}
