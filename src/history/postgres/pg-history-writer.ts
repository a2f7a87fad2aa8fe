import type pg from 'pg';
import type { ImageKind } from '../history-types.js';
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
} from '../history-writer.js';
import { copyRows, type CopyValue } from './pg-copy.js';
import type { LoadedHost, ParentBrief } from './pg-host-load.js';
import { hostOfId } from './pg-id-ranges.js';

/** A held `instances` row (written at the next flush). */
interface HeldInstance {
  hostId: number;
  id: number;
  pid: number;
  startNs: bigint;
  startKnown: boolean;
  creatorPid?: number;
  creatorId?: number;
  startEv?: WriteEvidence;
  end?: InstanceEnd;
}

interface HeldParent {
  hostId: number;
  id: number;
  instanceId: number;
  sinceNs: bigint;
  ppid: number;
  parentId?: number;
  kind: string;
  ev?: WriteEvidence;
}

interface ForkStart {
  startNs: bigint;
  creatorPid: number;
  creatorId: number | undefined;
  ev: WriteEvidence | undefined;
}

/** A change to a parent row written by an earlier flush, applied in order. */
type ParentUpdate = { id: number; orphanOf: { ppid: number; parentId: number | undefined } } | { id: number; row: Omit<NewParent, 'instanceId'> };

/**
 * The two newest instances of a pid (by start_ns, then id), enough to answer "who held this
 * pid last?" exactly when the newest one's start moves back (a late fork merged into a
 * "seen since" instance). `secondExact`: `second` is the true runner-up; after a move it
 * may not be, and a second move of the newest below it could not be answered.
 */
interface PidLast {
  newest: LastInstance;
  second?: LastInstance;
  secondExact: boolean;
  unknown?: boolean;
}

interface HostState {
  nextInstance: number;
  nextParent: number;
  nextImage: number;
  nextLoss: number;
  last: Map<number, PidLast>;
  /** Pid of every instance that is one of the newest two of its pid. */
  pidOf: Map<number, number>;
  open?: OpenInstance[];
}

export const INSTANCE_COLUMNS = [
  'host_id', 'id', 'pid', 'start_ns', 'start_known', 'creator_pid', 'creator_id', 'start_src', 'start_off', 'start_line', 'start_rec',
  'end_ns', 'end_certainty', 'end_reason', 'exit_code', 'exit_signal', 'end_src', 'end_off', 'end_line', 'end_rec',
];
export const PARENT_COLUMNS = ['host_id', 'id', 'instance_id', 'since_ns', 'ppid', 'parent_id', 'kind', 'src', 'off', 'line', 'rec'];
export const IMAGE_COLUMNS = [
  'host_id', 'id', 'instance_id', 'since_ns', 'kind', 'exe', 'argv', 'argv_truncated', 'comm', 'cwd', 'uid', 'euid', 'gid', 'auid', '"user"', 'euser', 'src', 'off', 'line', 'rec',
];
export const LOSS_COLUMNS = ['host_id', 'id', 'at_ns', 'count', 'reason', 'src', 'off', 'line', 'rec'];

const ev4 = (e: WriteEvidence | undefined): CopyValue[] => [e?.src, e?.off, e?.line, e?.rec];
const after = (a: { startNs: bigint; id: number }, b: { startNs: bigint; id: number }): boolean => a.startNs > b.startNs || (a.startNs === b.startNs && a.id > b.id);

/**
 * HistoryWriter on PostgreSQL. The builder calls the writer synchronously and PostgreSQL
 * answers asynchronously, so nothing here waits for the server: ids come from the host's
 * own range (pg-id-ranges.ts, next free id read once when the host is taken, under its
 * writer lock), rows are held in memory and written at commit by COPY in one transaction
 * with the resume positions (flush), and the builder's reads (last holder of a pid, parent
 * rows of a "seen since" instance, open instances) are answered from what was loaded when
 * the host was taken plus what this writer wrote since: as the host's only writer, it
 * knows everything these answers depend on.
 */
export class PgHistoryWriter implements HistoryWriter {
  private readonly hostIds = new Map<string, number>();
  private readonly hosts = new Map<number, HostState>();
  /** Parent rows of "seen since" instances: the only ones parentSummary / setFirstParentFromFork are asked about. */
  private readonly tracked = new Map<number, ParentBrief[]>();
  private readonly trackedRows = new Map<number, ParentBrief>();
  private readonly instances = new Map<number, HeldInstance>();
  private readonly ends = new Map<number, InstanceEnd>();
  private readonly forkStarts = new Map<number, ForkStart>();
  private readonly parents = new Map<number, HeldParent>();
  private readonly parentUpdates: ParentUpdate[] = [];
  private images: CopyValue[][] = [];
  private losses: CopyValue[][] = [];
  private readonly state = new Map<string, string>();
  private readonly stateChanged = new Set<string>();
  /** resume_state rows of the run are kept under this host (the ingest's default host). */
  private stateHost: number | undefined;

  /** Whether `name` was taken (prepared) by this writer. */
  knows(name: string): boolean {
    return this.hostIds.has(name);
  }

  /** A host taken by this writer (under its lock) with what was read of it. */
  addHost(name: string, hostId: number, loaded: LoadedHost): void {
    this.hostIds.set(name, hostId);
    const last = new Map<number, PidLast>();
    const pidOf = new Map<number, number>();
    for (const [pid, list] of loaded.last) {
      const entry: PidLast = { newest: list[0]!, secondExact: true };
      pidOf.set(list[0]!.id, pid);
      if (list[1] !== undefined) {
        entry.second = list[1];
        pidOf.set(list[1].id, pid);
      }
      last.set(pid, entry);
    }
    this.hosts.set(hostId, { ...loaded.nextIds, last, pidOf, open: loaded.open });
    for (const [instanceId, rows] of loaded.parents) this.track(instanceId, rows);
    if (this.stateHost === undefined) {
      this.stateHost = hostId;
      for (const [k, v] of loaded.state) this.state.set(k, v);
    }
  }

  private track(instanceId: number, rows: ParentBrief[]): void {
    this.tracked.set(instanceId, rows);
    for (const r of rows) this.trackedRows.set(r.id, r);
  }

  private host(hostId: number): HostState {
    const h = this.hosts.get(hostId);
    if (h === undefined) throw new Error(`PostgreSQL writer: host ${hostId} was not taken before its rows (prepareHosts)`);
    return h;
  }

  hostId(name: string): number {
    const id = this.hostIds.get(name);
    if (id === undefined) throw new Error(`PostgreSQL writer: host ${JSON.stringify(name)} was not taken before its events (prepareHosts)`);
    return id;
  }

  insertInstance(r: NewInstance): number {
    const h = this.host(r.hostId);
    const id = h.nextInstance++;
    const row: HeldInstance = { hostId: r.hostId, id, pid: r.pid, startNs: r.startNs, startKnown: r.startKnown };
    if (r.creatorPid !== undefined) row.creatorPid = r.creatorPid;
    if (r.creatorId !== undefined) row.creatorId = r.creatorId;
    if (r.evidence !== undefined) row.startEv = r.evidence;
    this.instances.set(id, row);
    if (!r.startKnown) this.track(id, []);
    const last: LastInstance = { id, startNs: r.startNs, startKnown: r.startKnown };
    const cur = h.last.get(r.pid);
    if (cur === undefined) h.last.set(r.pid, { newest: last, secondExact: true });
    else if (!after(cur.newest, last)) {
      if (cur.second !== undefined) h.pidOf.delete(cur.second.id);
      cur.second = cur.newest;
      cur.newest = last;
      cur.secondExact = !cur.unknown;
      delete cur.unknown;
    } else if (cur.second === undefined || !after(cur.second, last)) {
      if (cur.second !== undefined) h.pidOf.delete(cur.second.id);
      cur.second = last; // exactness unchanged
    } else return id;
    h.pidOf.set(id, r.pid);
    return id;
  }

  setForkStart(id: number, startNs: bigint, creatorPid: number, creatorId: number | undefined, evidence?: WriteEvidence): void {
    const held = this.instances.get(id);
    if (held !== undefined) {
      held.startNs = startNs;
      held.startKnown = true;
      held.creatorPid = creatorPid;
      if (creatorId === undefined) delete held.creatorId;
      else held.creatorId = creatorId;
      if (evidence === undefined) delete held.startEv;
      else held.startEv = evidence;
    } else this.forkStarts.set(id, { startNs, creatorPid, creatorId, ev: evidence });
    this.moveStart(id, startNs);
  }

  /** Keeps the pid's newest-two in order after an instance's start moved. */
  private moveStart(id: number, startNs: bigint): void {
    const h = this.host(hostOfId(id));
    const pid = h.pidOf.get(id);
    const entry = pid === undefined ? undefined : h.last.get(pid);
    if (entry !== undefined) {
      const moved = entry.newest.id === id ? entry.newest : entry.second!;
      const wasNewest = moved === entry.newest;
      const back = startNs < moved.startNs;
      moved.startNs = startNs;
      moved.startKnown = true;
      if (entry.second !== undefined && after(entry.second, entry.newest)) {
        [entry.newest, entry.second] = [entry.second, entry.newest];
        if (wasNewest) {
          // The newest moved below the runner-up: that is the newest if it was exact; what
          // comes second now (the moved one or an older instance) is not known.
          if (!entry.secondExact) entry.unknown = true;
          entry.secondExact = false;
        } else entry.secondExact = true; // the runner-up moved above the newest: both exact
      } else if (back && !wasNewest) entry.secondExact = false;
      return;
    }
    // Not among the newest two of its pid: the builder only moves the start of the instance
    // it just looked up or of a live one, both the newest of their pid.
    throw new Error(`PostgreSQL writer: start of instance ${id} moved, but it is not the newest holder of its pid`);
  }

  endInstance(id: number, e: InstanceEnd): void {
    const held = this.instances.get(id);
    if (held !== undefined) held.end = e; // replaces an earlier end, as the UPDATE would
    else this.ends.set(id, e);
    const h = this.host(hostOfId(id));
    const pid = h.pidOf.get(id);
    const entry = pid === undefined ? undefined : h.last.get(pid);
    if (entry === undefined) return; // not among the newest two of its pid: no answer changes
    const hit = entry.newest.id === id ? entry.newest : entry.second!;
    hit.endNs = e.endNs;
    hit.endCertainty = e.certainty;
  }

  insertParent(r: NewParent): number {
    const hostId = hostOfId(r.instanceId);
    const id = this.host(hostId).nextParent++;
    const row: HeldParent = { hostId, id, instanceId: r.instanceId, sinceNs: r.sinceNs, ppid: r.ppid, kind: r.kind };
    if (r.parentId !== undefined) row.parentId = r.parentId;
    if (r.evidence !== undefined) row.ev = r.evidence;
    this.parents.set(id, row);
    const list = this.tracked.get(r.instanceId);
    if (list !== undefined) {
      const brief = { id, sinceNs: r.sinceNs, ppid: r.ppid };
      list.push(brief);
      this.trackedRows.set(id, brief);
    }
    return id;
  }

  resolveOrphanRow(rowId: number, ppid: number, parentId: number | undefined): void {
    const held = this.parents.get(rowId);
    if (held !== undefined) {
      held.ppid = ppid;
      held.kind = 'reparent';
      if (parentId === undefined) delete held.parentId;
      else held.parentId = parentId;
    } else this.parentUpdates.push({ id: rowId, orphanOf: { ppid, parentId } });
    const brief = this.trackedRows.get(rowId);
    if (brief !== undefined) brief.ppid = ppid;
  }

  setFirstParentFromFork(instanceId: number, r: Omit<NewParent, 'instanceId'>): void {
    const list = this.tracked.get(instanceId);
    if (list === undefined) throw new Error(`PostgreSQL writer: parent rows of instance ${instanceId} are not known (not a "seen since" instance)`);
    let first: ParentBrief | undefined;
    for (const b of list) if (first === undefined || b.sinceNs < first.sinceNs || (b.sinceNs === first.sinceNs && b.id < first.id)) first = b;
    if (first === undefined) {
      this.insertParent({ ...r, instanceId });
      return;
    }
    const held = this.parents.get(first.id);
    if (held !== undefined) {
      Object.assign(held, { sinceNs: r.sinceNs, ppid: r.ppid, kind: r.kind });
      if (r.parentId === undefined) delete held.parentId;
      else held.parentId = r.parentId;
      if (r.evidence === undefined) delete held.ev;
      else held.ev = r.evidence;
    } else this.parentUpdates.push({ id: first.id, row: r });
    first.sinceNs = r.sinceNs;
    first.ppid = r.ppid;
  }

  insertImage(instanceId: number, sinceNs: bigint, kind: ImageKind, i: ImageFields, evidence?: WriteEvidence): void {
    const hostId = hostOfId(instanceId);
    const id = this.host(hostId).nextImage++;
    this.images.push([
      hostId, id, instanceId, sinceNs, kind, i.exe, i.argv === undefined ? null : JSON.stringify(i.argv), i.argvTruncated ? true : null,
      i.comm, i.cwd, i.uid, i.euid, i.gid, i.auid, i.user, i.euser, ...ev4(evidence),
    ]);
  }

  insertLoss(hostId: number, atNs: bigint, count: number | undefined, reason: string, evidence?: WriteEvidence): void {
    const id = this.host(hostId).nextLoss++;
    this.losses.push([hostId, id, atNs, count, reason, ...ev4(evidence)]);
  }

  lastInstance(hostId: number, pid: number): LastInstance | undefined {
    const entry = this.host(hostId).last.get(pid);
    if (entry === undefined) return undefined;
    if (entry.unknown) throw new Error(`PostgreSQL writer: the newest holder of pid ${pid} is not known after two start moves`);
    return { ...entry.newest };
  }

  parentSummary(instanceId: number): ParentSummary {
    const list = this.tracked.get(instanceId);
    if (list === undefined) throw new Error(`PostgreSQL writer: parent rows of instance ${instanceId} are not known (not a "seen since" instance)`);
    let latest: ParentBrief | undefined;
    for (const b of list) if (latest === undefined || b.sinceNs > latest.sinceNs || (b.sinceNs === latest.sinceNs && b.id > latest.id)) latest = b;
    const s: ParentSummary = { hasHistory: list.length > 1 };
    if (latest !== undefined) s.ppid = latest.ppid;
    return s;
  }

  /** The open instances read when the host was taken (handed over once). */
  openInstances(hostId?: number): OpenInstance[] {
    const out: OpenInstance[] = [];
    for (const [id, h] of this.hosts) {
      if ((hostId !== undefined && id !== hostId) || h.open === undefined) continue;
      out.push(...h.open);
      delete h.open;
    }
    return out;
  }

  getState(key: string): string | undefined {
    return this.state.get(key);
  }

  setState(key: string, value: string | undefined): void {
    if (value === undefined) this.state.delete(key);
    else this.state.set(key, value);
    this.stateChanged.add(key);
  }

  /**
   * Hands over everything held as one batch and starts holding anew (synchronously: rows
   * the builder writes while the batch is being written belong to the next one).
   */
  takeBatch(): PgWriteBatch {
    const batch = new PgWriteBatch(
      [...this.instances.values()].map(instanceValues),
      [...this.parents.values()].map(parentValues),
      this.images,
      this.losses,
      [...this.ends],
      [...this.forkStarts],
      this.parentUpdates.splice(0),
      [...this.stateChanged].map((key) => [key, this.state.get(key)]),
      this.stateHost!,
    );
    this.instances.clear();
    this.parents.clear();
    this.images = [];
    this.losses = [];
    this.ends.clear();
    this.forkStarts.clear();
    this.stateChanged.clear();
    return batch;
  }
}

/** Rows of one commit, written by COPY and set-based UPDATEs inside the caller's transaction. */
export class PgWriteBatch {
  constructor(
    private readonly instances: CopyValue[][],
    private readonly parents: CopyValue[][],
    private readonly images: CopyValue[][],
    private readonly losses: CopyValue[][],
    private readonly ends: [number, InstanceEnd][],
    private readonly forkStarts: [number, ForkStart][],
    private readonly parentUpdates: ParentUpdate[],
    private readonly state: [string, string | undefined][],
    private readonly stateHost: number,
  ) {}

  get rows(): number {
    return this.instances.length + this.parents.length + this.images.length + this.losses.length;
  }

  async write(client: pg.Client): Promise<void> {
    if (this.instances.length > 0) await copyRows(client, 'instances', INSTANCE_COLUMNS, this.instances);
    if (this.parents.length > 0) await copyRows(client, 'parents', PARENT_COLUMNS, this.parents);
    if (this.images.length > 0) await copyRows(client, 'images', IMAGE_COLUMNS, this.images);
    if (this.losses.length > 0) await copyRows(client, 'losses', LOSS_COLUMNS, this.losses);
    await this.writeEnds(client);
    await this.writeForkStarts(client);
    for (const u of this.parentUpdates) {
      if ('orphanOf' in u) {
        await client.query("UPDATE parents SET ppid = $3, parent_id = $4, kind = 'reparent' WHERE host_id = $1 AND id = $2", [hostOfId(u.id), u.id, u.orphanOf.ppid, u.orphanOf.parentId ?? null]);
      } else {
        const r = u.row;
        await client.query('UPDATE parents SET since_ns = $3, ppid = $4, parent_id = $5, kind = $6, src = $7, off = $8, line = $9, rec = $10 WHERE host_id = $1 AND id = $2', [
          hostOfId(u.id), u.id, r.sinceNs.toString(), r.ppid, r.parentId ?? null, r.kind, r.evidence?.src ?? null, r.evidence?.off ?? null, r.evidence?.line ?? null, r.evidence?.rec ?? null,
        ]);
      }
    }
    for (const [key, value] of this.state) {
      if (value === undefined) await client.query('DELETE FROM resume_state WHERE host_id = $1 AND key = $2', [this.stateHost, key]);
      else {
        await client.query('INSERT INTO resume_state(host_id, key, value) VALUES ($1, $2, $3) ON CONFLICT (host_id, key) DO UPDATE SET value = excluded.value', [this.stateHost, key, value]);
      }
    }
  }

  /**
   * Ends of instances written by an earlier flush: one UPDATE over arrays per host, not one
   * per row. The constant host and the id list let the planner keep to the host's partition
   * and rows: on the postgres_fdw layout (pg-shards.ts) an UPDATE joined to unnest() is
   * not sent to the shard as one statement; the shard's rows it may touch are read FOR
   * UPDATE first, so without these conditions every ingester would lock (and read) the
   * whole of every shard's table, and two ingesters of different hosts failed with
   * "could not serialize access due to concurrent update".
   */
  private async writeEnds(client: pg.Client): Promise<void> {
    for (const [hostId, ends] of byHost(this.ends)) {
      const cols: unknown[][] = Array.from({ length: 11 }, () => []);
      for (const [id, e] of ends) {
        const v = [hostId, id, e.endNs.toString(), e.certainty, e.reason, e.exitCode, e.exitSignal, e.evidence?.src, e.evidence?.off, e.evidence?.line, e.evidence?.rec];
        v.forEach((x, i) => cols[i]!.push(x ?? null));
      }
      await client.query(
        `UPDATE instances i SET end_ns = u.end_ns, end_certainty = u.certainty, end_reason = u.reason, exit_code = u.code, exit_signal = u.sig,
           end_src = u.src, end_off = u.off, end_line = u.line, end_rec = u.rec
         FROM unnest($1::int[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::int[], $7::int[], $8::bigint[], $9::bigint[], $10::bigint[], $11::text[])
           AS u(host_id, id, end_ns, certainty, reason, code, sig, src, off, line, rec)
         WHERE i.host_id = $12 AND i.id = ANY($2::bigint[]) AND i.host_id = u.host_id AND i.id = u.id`,
        [...cols, hostId],
      );
    }
  }

  /** Fork starts learnt for instances of an earlier flush: as writeEnds, one UPDATE per host. */
  private async writeForkStarts(client: pg.Client): Promise<void> {
    for (const [hostId, starts] of byHost(this.forkStarts)) {
      const cols: unknown[][] = Array.from({ length: 9 }, () => []);
      for (const [id, f] of starts) {
        const v = [hostId, id, f.startNs.toString(), f.creatorPid, f.creatorId, f.ev?.src, f.ev?.off, f.ev?.line, f.ev?.rec];
        v.forEach((x, i) => cols[i]!.push(x ?? null));
      }
      await client.query(
        `UPDATE instances i SET start_ns = u.start_ns, start_known = true, creator_pid = u.cpid, creator_id = u.cid,
           start_src = u.src, start_off = u.off, start_line = u.line, start_rec = u.rec
         FROM unnest($1::int[], $2::bigint[], $3::bigint[], $4::int[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[], $9::text[])
           AS u(host_id, id, start_ns, cpid, cid, src, off, line, rec)
         WHERE i.host_id = $10 AND i.id = ANY($2::bigint[]) AND i.host_id = u.host_id AND i.id = u.id`,
        [...cols, hostId],
      );
    }
  }
}

/** Per-instance changes grouped by the instance's host (ids name their host: pg-id-ranges.ts). */
function byHost<T>(changes: readonly [number, T][]): Map<number, [number, T][]> {
  const out = new Map<number, [number, T][]>();
  for (const c of changes) {
    const h = hostOfId(c[0]);
    const list = out.get(h);
    if (list === undefined) out.set(h, [c]);
    else list.push(c);
  }
  return out;
}

function instanceValues(r: HeldInstance): CopyValue[] {
  const e = r.end;
  return [
    r.hostId, r.id, r.pid, r.startNs, r.startKnown, r.creatorPid, r.creatorId, ...ev4(r.startEv),
    e?.endNs, e?.certainty, e?.reason, e?.exitCode, e?.exitSignal, ...ev4(e?.evidence),
  ];
}

function parentValues(r: HeldParent): CopyValue[] {
  return [r.hostId, r.id, r.instanceId, r.sinceNs, r.ppid, r.parentId, r.kind, ...ev4(r.ev)];
}
