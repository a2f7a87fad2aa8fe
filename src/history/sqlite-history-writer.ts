import type { Statement } from 'better-sqlite3';
import type { ImageKind } from './history-types.js';
import type {
  HistoryWriter,
  ImageFields,
  InstanceEnd,
  LastInstance,
  NewInstance,
  NewParent,
  OpenInstance,
  ParentSummary,
  WriteEvidence,
} from './history-writer.js';
import { LastInstanceCache, type CachedLast } from './last-instance-cache.js';
import type { SqliteDatabase } from './open-history-db.js';
import { INSERT_COLUMNS, PendingInstances, type HeldSummary } from './pending-instances.js';
import { imageFieldsOfRow } from './image-fields.js';
import { ParentRowsCache } from './parent-rows-cache.js';

type Raw = Record<string, unknown>;
// Evidence is bound as four plain arguments (src, off, line, rec): spreading a
// [src, off, line, rec] array into each call allocated per row and cost measurable time.
const opt = <T>(v: T | undefined): T | null => (v === undefined ? null : v);
const num = (v: unknown): number | undefined => (v === null || v === undefined ? undefined : Number(v));

/** How deep to follow creators to find the image a forked child inherited. */
const MAX_INHERIT_DEPTH = 64;
/**
 * New instance rows held before they are written (see pending-instances.ts). With a flush
 * every N new rows, a process whose end comes L starts after its own is written once with
 * probability 1 - L/N: on the synthetic logs that spares 79% of the end UPDATEs at 2,048,
 * 87% at 4,096, 91% at 8,192, 94% at 16,384 (~150 bytes of typed arrays per row).
 */
export const MAX_PENDING_INSTANCES = 4_096;
/** (host, pid) as one Map key: pids stay below 2^22 (pid_max), host ids far below 2^20. */
const pidKey = (hostId: number, pid: number): number => hostId * 0x1_0000_0000 + pid;

/**
 * HistoryWriter on better-sqlite3 with statements prepared once. New instance rows wait in
 * memory until `flush()` (the owner calls it before every commit and before any other
 * reader of the connection looks); the writer's own reads see them.
 */
export class SqliteHistoryWriter implements HistoryWriter {
  private readonly hosts = new Map<string, number>();
  private readonly st: Record<string, Statement>;
  private readonly lastCache: LastInstanceCache;
  private readonly pending: PendingInstances;
  /**
   * Pending rows of pids whose newest instance the cache does not know (an earlier run's
   * database): a SQLite answer for such a pid is merged with them. Every pending row of an
   * unknown pid is here or its pid is in `scanPending`: rows are listed here when inserted
   * while their pid is unknown, and the cache forgetting every pid flushes them all.
   */
  private readonly unknownPending = new Map<number, number[]>();
  /**
   * Pids the cache forgot while rows of theirs may be pending (a "seen since" start moved
   * back to its fork, ~5% of processes on busy logs): their next SQLite answer is merged
   * with a scan of the pending rows. Flushing instead cost an UPDATE for every pending row.
   */
  private readonly scanPending = new Set<number>();
  /** Parent rows of the instances created by this writer: late-fork merges read them without a SELECT. */
  private readonly parentRows = new ParentRowsCache();
  /** argv JSON by array: the events of a batch share one array per distinct list (event-batch-codec.ts). */
  private readonly argvJson = new WeakMap<readonly string[], string>();

  constructor(private readonly db: SqliteDatabase) {
    const p = (sql: string): Statement => db.prepare(sql);
    this.st = {
      hostGet: p('SELECT id FROM hosts WHERE name = ?'),
      hostAdd: p('INSERT INTO hosts(name) VALUES (?)'),
      instAdd: p(`INSERT INTO instances(${INSERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      maxId: p('SELECT max(id) FROM instances').pluck(),
      forkStart: p(
        'UPDATE instances SET start_ns = ?, start_known = 1, creator_pid = ?, creator_id = ?, start_src = ?, start_off = ?, start_line = ?, start_rec = ? WHERE id = ?',
      ),
      end: p(
        `UPDATE instances SET end_ns = ?, end_certainty = ?, end_reason = ?, exit_code = ?, exit_signal = ?, end_src = ?, end_off = ?, end_line = ?, end_rec = ?
         WHERE id = ?`,
      ),
      parentAdd: p('INSERT INTO parents(instance_id, since_ns, ppid, parent_id, kind, src, off, line, rec) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'),
      firstParentId: p('SELECT id FROM parents WHERE instance_id = ? ORDER BY since_ns, id LIMIT 1'),
      orphanSet: p("UPDATE parents SET ppid = ?, parent_id = ?, kind = 'reparent' WHERE id = ?"),
      parentSet: p('UPDATE parents SET since_ns = ?, ppid = ?, parent_id = ?, kind = ?, src = ?, off = ?, line = ?, rec = ? WHERE id = ?'),
      imageAdd: p(
        `INSERT INTO images(instance_id, since_ns, kind, exe, argv, argv_truncated, comm, cwd, uid, euid, gid, auid, user, euser, src, off, line, rec)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      lossAdd: p('INSERT INTO losses(host_id, at_ns, count, reason, src, off, line, rec) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      last: p('SELECT * FROM instances WHERE host_id = ? AND pid = ? ORDER BY start_ns DESC, id DESC LIMIT 1').safeIntegers(true),
      lastParents: p('SELECT ppid FROM parents WHERE instance_id = ? ORDER BY since_ns DESC, id DESC LIMIT 2'),
      open: p('SELECT id, host_id, pid, start_ns, start_known, creator_id FROM instances WHERE end_ns IS NULL ORDER BY id').safeIntegers(true),
      latestParent: p('SELECT id, ppid, parent_id, kind FROM parents WHERE instance_id = ? ORDER BY since_ns DESC, id DESC LIMIT 1'),
      // The builder's current image is the last one it wrote (ids), its creator's at fork by time.
      lastWrittenImage: p('SELECT * FROM images WHERE instance_id = ? ORDER BY id DESC LIMIT 1').safeIntegers(true),
      latestImage: p('SELECT * FROM images WHERE instance_id = ? AND since_ns <= ? ORDER BY since_ns DESC, id DESC LIMIT 1').safeIntegers(true),
      startOf: p('SELECT start_ns, creator_id FROM instances WHERE id = ?').safeIntegers(true),
      stateGet: p('SELECT value FROM resume_state WHERE key = ?'),
      stateSet: p('INSERT INTO resume_state(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
      stateDel: p('DELETE FROM resume_state WHERE key = ?'),
      hostHasAny: p('SELECT 1 FROM instances WHERE host_id = ? LIMIT 1').pluck(),
    };
    this.lastCache = new LastInstanceCache(
      (hostId) => this.st.hostHasAny!.get(hostId) !== undefined,
      (hostId, pid) => {
        if (hostId === undefined || pid === undefined) this.flush();
        else if (this.pending.size > 0) this.scanPending.add(pidKey(hostId, pid));
      },
    );
    this.pending = new PendingInstances(this.nextIdInDb(), MAX_PENDING_INSTANCES);
  }

  private nextIdInDb(): number {
    const max = this.st.maxId!.get() as number | null;
    return max === null ? 1 : max + 1;
  }

  /** Writes the pending instance rows (each with its end when it has one). */
  flush(): void {
    if (this.pending.size === 0) return;
    // Ids were assigned from max(id) + 1: another process writing instances meanwhile
    // would collide with them. One writer per database is the rule (see last-instance-cache.ts).
    if (this.nextIdInDb() > this.pending.firstHeldId) {
      throw new Error('another process wrote to this history database during the ingest: run one ingest per database at a time');
    }
    this.unknownPending.clear();
    this.scanPending.clear();
    const add = this.st.instAdd!;
    const write = (): void => this.pending.drain((params) => add.run(params));
    if (this.db.inTransaction) write();
    else this.db.transaction(write)();
  }

  /** Forgets pending rows and cached answers: the transaction they belonged to was rolled back. */
  discard(): void {
    this.pending.discard(this.nextIdInDb());
    this.unknownPending.clear();
    this.scanPending.clear();
    this.lastCache.clear();
    this.parentRows.clear();
  }

  hostId(name: string): number {
    let id = this.hosts.get(name);
    if (id !== undefined) return id;
    const row = this.st.hostGet!.get(name) as { id: number } | undefined;
    id = row?.id ?? Number(this.st.hostAdd!.run(name).lastInsertRowid);
    this.hosts.set(name, id);
    return id;
  }

  insertInstance(r: NewInstance): number {
    this.lastCache.touchHost(r.hostId);
    if (this.pending.size >= MAX_PENDING_INSTANCES) this.flush();
    const id = this.pending.add(r);
    this.parentRows.created(id);
    // The row is pending before the cache hears of it: should the cache forget (and flush),
    // the row is written with the others.
    const known = this.lastCache.inserted(r.hostId, r.pid, id, r.startNs, r.startKnown);
    if (!known && this.pending.slot(id) >= 0) {
      const key = pidKey(r.hostId, r.pid);
      const list = this.unknownPending.get(key);
      if (list === undefined) this.unknownPending.set(key, [id]);
      else list.push(id);
    }
    return id;
  }

  setForkStart(id: number, startNs: bigint, creatorPid: number, creatorId: number | undefined, evidence?: WriteEvidence): void {
    const slot = this.pending.slot(id);
    if (slot < 0) {
      this.st.forkStart!.run(startNs, creatorPid, opt(creatorId), evidence?.src ?? null, evidence?.off ?? null, evidence?.line ?? null, evidence?.rec ?? null, id);
    } else this.pending.forkStart(slot, startNs, creatorPid, creatorId, evidence);
    this.lastCache.forkStartSet(id, startNs);
  }

  endInstance(id: number, e: InstanceEnd): void {
    const slot = this.pending.slot(id);
    if (slot < 0) {
      this.st.end!.run(e.endNs, e.certainty, opt(e.reason), opt(e.exitCode), opt(e.exitSignal), e.evidence?.src ?? null, e.evidence?.off ?? null, e.evidence?.line ?? null, e.evidence?.rec ?? null, id);
    } else this.pending.end(slot, e); // replaces an earlier end, as the UPDATE would
    this.lastCache.ended(id, e.endNs, e.certainty);
  }

  insertParent(r: NewParent): number {
    const id = Number(this.st.parentAdd!.run(r.instanceId, r.sinceNs, r.ppid, opt(r.parentId), r.kind, r.evidence?.src ?? null, r.evidence?.off ?? null, r.evidence?.line ?? null, r.evidence?.rec ?? null).lastInsertRowid);
    this.parentRows.inserted(r.instanceId, { id, sinceNs: r.sinceNs, ppid: r.ppid }, r.kind === 'orphaned');
    return id;
  }

  resolveOrphanRow(rowId: number, ppid: number, parentId: number | undefined): void {
    this.st.orphanSet!.run(ppid, opt(parentId), rowId);
    this.parentRows.ppidSet(rowId, ppid);
  }

  setFirstParentFromFork(instanceId: number, r: Omit<NewParent, 'instanceId'>): void {
    const cached = this.parentRows.of(instanceId);
    const firstRow = cached === undefined ? undefined : this.parentRows.first(cached);
    const firstId = cached === undefined ? (this.st.firstParentId!.get(instanceId) as { id: number } | undefined)?.id : firstRow?.id;
    if (firstId === undefined) {
      this.insertParent({ ...r, instanceId });
      return;
    }
    this.st.parentSet!.run(r.sinceNs, r.ppid, opt(r.parentId), r.kind, r.evidence?.src ?? null, r.evidence?.off ?? null, r.evidence?.line ?? null, r.evidence?.rec ?? null, firstId);
    if (firstRow !== undefined) {
      firstRow.sinceNs = r.sinceNs;
      firstRow.ppid = r.ppid;
    }
  }

  insertImage(instanceId: number, sinceNs: bigint, kind: ImageKind, i: ImageFields, evidence?: WriteEvidence): void {
    this.st.imageAdd!.run(
      instanceId,
      sinceNs,
      kind,
      opt(i.exe),
      i.argv === undefined ? null : this.jsonOfArgv(i.argv),
      i.argvTruncated ? 1 : null,
      opt(i.comm),
      opt(i.cwd),
      opt(i.uid),
      opt(i.euid),
      opt(i.gid),
      opt(i.auid),
      opt(i.user),
      opt(i.euser),
      evidence?.src ?? null, evidence?.off ?? null, evidence?.line ?? null, evidence?.rec ?? null,
    );
  }

  private jsonOfArgv(argv: readonly string[]): string {
    let json = this.argvJson.get(argv);
    if (json === undefined) {
      json = JSON.stringify(argv);
      this.argvJson.set(argv, json);
    }
    return json;
  }

  insertLoss(hostId: number, atNs: bigint, count: number | undefined, reason: string, evidence?: WriteEvidence): void {
    this.st.lossAdd!.run(hostId, atNs, opt(count), reason, evidence?.src ?? null, evidence?.off ?? null, evidence?.line ?? null, evidence?.rec ?? null);
  }

  lastInstance(hostId: number, pid: number): LastInstance | undefined {
    let c = this.lastCache.get(hostId, pid);
    if (c === undefined) {
      const r = this.st.last!.get(hostId, pid) as Raw | undefined;
      c = r === undefined ? null : lastFromRow(hostId, pid, r);
      // Pending rows have larger ids than any written one: newer on a start_ns tie.
      const key = pidKey(hostId, pid);
      const slots = this.scanPending.delete(key) ? this.pending.slotsOfPid(hostId, pid) : (this.unknownPending.get(key) ?? []).map((id) => this.pending.slot(id)).filter((slot) => slot >= 0);
      for (const slot of slots) {
        const p = this.pending.summary(slot);
        if (c === null || p.startNs >= c.startNs) c = lastFromPending(p);
      }
      this.unknownPending.delete(key); // the cache follows this pid from now on
      this.lastCache.learn(hostId, pid, c);
    }
    if (c === null) return undefined;
    const last: LastInstance = { id: c.id, startNs: c.startNs, startKnown: c.startKnown };
    if (c.endNs !== undefined) last.endNs = c.endNs;
    if (c.endCertainty !== undefined) last.endCertainty = c.endCertainty;
    return last;
  }

  parentSummary(instanceId: number): ParentSummary {
    const cached = this.parentRows.of(instanceId);
    if (cached !== undefined) {
      const s: ParentSummary = { hasHistory: cached.length > 1 };
      const latest = this.parentRows.latest(cached);
      if (latest !== undefined) s.ppid = latest.ppid;
      return s;
    }
    const parents = this.st.lastParents!.all(instanceId) as { ppid: number }[];
    const s: ParentSummary = { hasHistory: parents.length > 1 };
    if (parents[0] !== undefined) s.ppid = Number(parents[0].ppid);
    return s;
  }

  openInstances(hostId?: number): OpenInstance[] {
    this.flush();
    const out: OpenInstance[] = [];
    for (const r of this.st.open!.all() as Raw[]) {
      if (hostId !== undefined && Number(r.host_id) !== hostId) continue;
      const id = Number(r.id);
      const o: OpenInstance = {
        id,
        hostId: Number(r.host_id),
        pid: Number(r.pid),
        startNs: BigInt(r.start_ns as bigint),
        startKnown: Number(r.start_known) === 1,
      };
      const creator = num(r.creator_id);
      if (creator !== undefined) o.creatorId = creator;
      const parent = this.st.latestParent!.get(id) as { id: number; ppid: number; parent_id: number | null; kind: string } | undefined;
      if (parent !== undefined) {
        o.ppid = parent.ppid;
        if (parent.parent_id !== null) o.parentId = parent.parent_id;
        if (parent.kind === 'orphaned') o.orphanRowId = parent.id;
      }
      const image = this.imageInForce(id);
      if (image !== undefined) o.image = image;
      out.push(o);
    }
    return out;
  }

  /** The latest image of an instance, else what it inherited from its creator at fork. */
  private imageInForce(id: number): ImageFields | undefined {
    const own = this.st.lastWrittenImage!.get(id) as Raw | undefined;
    if (own !== undefined) return imageFieldsOfRow(own);
    let at = 0n;
    let current: number | undefined = id;
    for (let depth = 0; current !== undefined && depth < MAX_INHERIT_DEPTH; depth++) {
      const row = depth === 0 ? undefined : (this.st.latestImage!.get(current, at) as Raw | undefined);
      if (row !== undefined) return imageFieldsOfRow(row);
      const inst = this.st.startOf!.get(current) as { start_ns: bigint; creator_id: bigint | null } | undefined;
      if (inst === undefined || inst.creator_id === null) return undefined;
      at = inst.start_ns;
      current = Number(inst.creator_id);
    }
    return undefined;
  }

  getState(key: string): string | undefined {
    return (this.st.stateGet!.get(key) as { value: string } | undefined)?.value;
  }

  setState(key: string, value: string | undefined): void {
    if (value === undefined) this.st.stateDel!.run(key);
    else this.st.stateSet!.run(key, value);
  }
}

function lastFromRow(hostId: number, pid: number, r: Raw): CachedLast {
  const last: CachedLast = { hostId, pid, id: Number(r.id), startNs: BigInt(r.start_ns as bigint), startKnown: Number(r.start_known) === 1 };
  if (r.end_ns !== null) last.endNs = BigInt(r.end_ns as bigint);
  if (r.end_certainty !== null) last.endCertainty = String(r.end_certainty) as LastInstance['endCertainty'];
  return last;
}

function lastFromPending(p: HeldSummary): CachedLast {
  const last: CachedLast = { hostId: p.hostId, pid: p.pid, id: p.id, startNs: p.startNs, startKnown: p.startKnown };
  if (p.endNs !== undefined) last.endNs = p.endNs;
  if (p.endCertainty !== undefined) last.endCertainty = p.endCertainty;
  return last;
}

