import type { Statement } from 'better-sqlite3';
import { digestsByPath, type ChainRow, type HistoryReader, type HistoryStore, type ImageMatch, type SourceDigest } from './history-store.js';
import { LAST_RECORD_STATE_KEY, type ImageRow, type InstanceRow, type LossRow, type ParentRow } from './history-types.js';
import { openHistoryDb, type SqliteDatabase } from './open-history-db.js';
import { toChainRow, toImage, toInstance, toLoss, toParent } from './row-mappers.js';

type Raw = Record<string, unknown>;

/** Opens a history file for queries (read-only; a missing or foreign file is a UserError). */
export function openSqliteHistoryStore(path: string): SqliteHistoryStore {
  return new SqliteHistoryStore(openHistoryDb(path, { readonly: true }));
}

/**
 * The SQLite HistoryStore: one connection, each `read` one read transaction. Reads that
 * overlap (several `read`s awaited together) share one transaction: better-sqlite3 has one
 * per connection, and a read-only snapshot shared by readers is still consistent.
 */
export class SqliteHistoryStore implements HistoryStore {
  readonly backend = 'sqlite';
  private readonly reader: SqliteHistoryReader;
  private readonly begin: Statement;
  private readonly commit: Statement;
  /** `read`s running now: BEGIN at the first, COMMIT after the last. */
  private active = 0;

  /**
   * `ownsDb`: close the connection with the store (false for a view on a writer's connection).
   * `beforeRead`: runs at the start of each read (a writer's connection: flush the rows it holds).
   */
  constructor(
    private readonly db: SqliteDatabase,
    private readonly ownsDb = true,
    private readonly beforeRead?: () => void,
  ) {
    this.reader = new SqliteHistoryReader(db);
    this.begin = db.prepare('BEGIN');
    this.commit = db.prepare('COMMIT');
  }

  async read<T>(fn: (reader: HistoryReader) => Promise<T>): Promise<T> {
    this.beforeRead?.();
    // A transaction this store did not open (a writer's on the same connection): read inside it.
    if (this.active === 0 && this.db.inTransaction) return fn(this.reader);
    if (this.active++ === 0) this.begin.run();
    try {
      return await fn(this.reader);
    } finally {
      if (--this.active === 0) this.commit.run();
    }
  }

  async close(): Promise<void> {
    if (this.ownsDb) this.db.close();
  }
}

/** The SQLite lookups. Statements are prepared once; integers are read as bigint. */
class SqliteHistoryReader implements HistoryReader {
  private readonly hostIds = new Map<string, number>();
  private readonly hostNames = new Map<number, string>();
  /** Hosts that have process records (the default host row exists even when unused). */
  private hostsWithData: string[] = [];
  private readonly files = new Map<number, string>();
  /** Each source's stored content hash, by source id (none in files before schema 005, or not hashed). */
  private readonly digests = new Map<number, SourceDigest>();
  private readonly st: Record<string, Statement>;
  private readonly fileOf = (id: number): string | undefined => this.files.get(id);

  constructor(private readonly db: SqliteDatabase) {
    // Prepared on first use: a one-shot CLI query needs 3-5 of these, not all 20.
    const lazy = (sql: () => string, raw = false) => ({ sql, raw });
    const statements = {
      instancesAt: lazy(
        () => `SELECT * FROM instances WHERE host_id = ? AND pid = ? AND start_ns <= ? AND (end_ns IS NULL OR end_ns > ?)
         ORDER BY start_ns DESC LIMIT 8`,
      ),
      instancesOfPid: lazy(() => 'SELECT * FROM instances WHERE host_id = ? AND pid = ? ORDER BY start_ns, id'),
      // One index seek per host (instances_by_pid leads with host_id), not a scan by pid.
      hostsWithPid: lazy(() => 'SELECT h.id AS id FROM hosts h WHERE EXISTS (SELECT 1 FROM instances i WHERE i.host_id = h.id AND i.pid = ?)'),
      instance: lazy(() => 'SELECT * FROM instances WHERE id = ?'),
      parentAt: lazy(() => 'SELECT * FROM parents WHERE instance_id = ? AND since_ns <= ? ORDER BY since_ns DESC, id DESC LIMIT 1'),
      firstParent: lazy(() => 'SELECT * FROM parents WHERE instance_id = ? ORDER BY since_ns, id LIMIT 1'),
      parents: lazy(() => 'SELECT * FROM parents WHERE instance_id = ? ORDER BY since_ns, id'),
      imageAt: lazy(() => 'SELECT * FROM images WHERE instance_id = ? AND since_ns <= ? ORDER BY since_ns DESC, id DESC LIMIT 1'),
      images: lazy(() => 'SELECT * FROM images WHERE instance_id = ? ORDER BY since_ns, id'),
      instancesIn: lazy(() => 'SELECT * FROM instances WHERE id IN (SELECT value FROM json_each(?))'),
      imagesIn: lazy(() => 'SELECT * FROM images WHERE instance_id IN (SELECT value FROM json_each(?)) ORDER BY instance_id, since_ns, id'),
      chainByParent: lazy(() => chainSql('parent'), true),
      chainByCreator: lazy(() => chainSql('creator'), true),
      children: lazy(
        () => `SELECT * FROM instances WHERE id IN (SELECT instance_id FROM parents WHERE parent_id = @id UNION SELECT id FROM instances WHERE creator_id = @id)
         ORDER BY start_ns, id`,
      ),
      aliveAtScan: lazy(() => 'SELECT * FROM instances WHERE host_id = @h AND start_ns <= @at AND (end_ns IS NULL OR end_ns > @at) ORDER BY pid, start_ns'),
      overlapping: lazy(() => 'SELECT * FROM instances WHERE host_id = ? AND start_ns <= ? AND (end_ns IS NULL OR end_ns >= ?) ORDER BY start_ns, id'),
      lastEvidence: lazy(
        () => `SELECT max(x) AS x FROM (SELECT max(since_ns) AS x FROM parents WHERE instance_id = @id
         UNION ALL SELECT max(since_ns) FROM images WHERE instance_id = @id
         UNION ALL SELECT max(start_ns) FROM instances WHERE creator_id = @id
         UNION ALL SELECT start_ns FROM instances WHERE id = @id)`,
      ),
      losses: lazy(() => 'SELECT * FROM losses WHERE host_id = ? AND at_ns >= ? AND at_ns <= ? ORDER BY at_ns, id'),
    };
    const st = {} as Record<keyof typeof statements, Statement>;
    for (const [name, { sql, raw }] of Object.entries(statements)) {
      Object.defineProperty(st, name, { get: () => this.lazyStatement(name, sql, raw), enumerable: true });
    }
    this.st = st;
    this.refreshNames();
    this.byLifetime = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'instances_by_lifetime'").get() !== undefined;
  }

  /** Whether the database has the lifetime index (schema/*-lifetime-index.sql); older files answer by a scan. */
  private readonly byLifetime: boolean;
  private readonly lazy = new Map<string, Statement>();

  /** Statements only some queries need, prepared on first use (start-up of a one-shot CLI). */
  private lazyStatement(key: string, sql: () => string, raw = false): Statement {
    let st = this.lazy.get(key);
    if (st === undefined) {
      st = this.db.prepare(sql());
      st.safeIntegers(true);
      if (raw) st.raw(true);
      this.lazy.set(key, st);
    }
    return st;
  }

  /** Re-reads host and source names (call after another connection added some). */
  refreshNames(): void {
    for (const r of this.db.prepare('SELECT id, name FROM hosts').all() as { id: number; name: string }[]) {
      this.hostIds.set(r.name, r.id);
      this.hostNames.set(r.id, r.name);
    }
    this.hostsWithData = (
      this.db.prepare('SELECT name FROM hosts WHERE EXISTS (SELECT 1 FROM instances WHERE instances.host_id = hosts.id) ORDER BY name').all() as { name: string }[]
    ).map((r) => r.name);
    for (const r of this.sourceRows()) {
      this.files.set(r.id, r.path);
      if (typeof r.content_sha256 === 'string' && r.content_bytes != null) this.digests.set(r.id, { sha256: r.content_sha256, bytes: Number(r.content_bytes) });
    }
  }

  /** Source names with their content hash, in one statement; a file before schema 005 has no hash columns. */
  private sourceRows(): { id: number; path: string; content_sha256?: string | null; content_bytes?: number | bigint | null }[] {
    const hasHash = (this.db.prepare("SELECT 1 FROM pragma_table_info('sources') WHERE name = 'content_sha256'").get() as unknown) !== undefined;
    return this.db.prepare(hasHash ? 'SELECT id, path, content_sha256, content_bytes FROM sources' : 'SELECT id, path FROM sources').all() as { id: number; path: string }[];
  }

  async hosts(): Promise<string[]> {
    return [...this.hostsWithData];
  }

  private inst(r: Raw | undefined): InstanceRow | undefined {
    if (r === undefined) return undefined;
    return toInstance(r, this.hostNames.get(Number(r.host_id)) ?? '', this.fileOf);
  }

  private insts(rows: unknown[]): InstanceRow[] {
    return rows.map((r) => this.inst(r as Raw)!);
  }

  async instancesAt(host: string, pid: number, atNs: bigint): Promise<InstanceRow[]> {
    const hostId = this.hostIds.get(host);
    if (hostId === undefined) return [];
    const rows = this.insts(this.st.instancesAt!.all(hostId, pid, atNs, atNs));
    // Prefer a known start over "seen since": a fork record is stronger evidence.
    return rows.sort((a, b) => Number(b.startKnown) - Number(a.startKnown));
  }

  async instancesOfPid(host: string, pid: number): Promise<InstanceRow[]> {
    const hostId = this.hostIds.get(host);
    return hostId === undefined ? [] : this.insts(this.st.instancesOfPid!.all(hostId, pid));
  }

  async hostsWithPid(pid: number): Promise<string[]> {
    const holders = new Set((this.st.hostsWithPid!.all(pid) as { id: number }[]).map((r) => this.hostNames.get(Number(r.id))));
    return this.hostsWithData.filter((h) => holders.has(h));
  }

  async instance(id: number): Promise<InstanceRow | undefined> {
    return this.inst(this.st.instance!.get(id) as Raw | undefined);
  }

  async parentAt(instanceId: number, atNs: bigint): Promise<ParentRow | undefined> {
    const r = (this.st.parentAt!.get(instanceId, atNs) ?? this.st.firstParent!.get(instanceId)) as Raw | undefined;
    return r === undefined ? undefined : toParent(r, this.fileOf);
  }

  async parents(instanceId: number): Promise<ParentRow[]> {
    return (this.st.parents!.all(instanceId) as Raw[]).map((r) => toParent(r, this.fileOf));
  }

  async ownImageAt(instanceId: number, atNs: bigint, atSerial?: number): Promise<ImageRow | undefined> {
    const r = (
      atSerial === undefined
        ? this.st.imageAt!.get(instanceId, atNs)
        : this.lazyStatement('imageAtEvent', () => `SELECT * FROM images WHERE instance_id = @id AND since_ns <= @at${notAfterEvent} ORDER BY since_ns DESC, id DESC LIMIT 1`).get({ id: instanceId, at: atNs, serial: atSerial })
    ) as Raw | undefined;
    return r === undefined ? undefined : toImage(r, this.fileOf);
  }

  async images(instanceId: number): Promise<ImageRow[]> {
    return (this.st.images!.all(instanceId) as Raw[]).map((r) => toImage(r, this.fileOf));
  }

  async instancesWithImages(ids: readonly number[]): Promise<{ instance: InstanceRow; images: ImageRow[] }[]> {
    const out: { instance: InstanceRow; images: ImageRow[] }[] = [];
    for (let at = 0; at < ids.length; at += IDS_PER_STATEMENT) {
      const list = JSON.stringify(ids.slice(at, at + IDS_PER_STATEMENT));
      const byId = new Map<number, { instance: InstanceRow; images: ImageRow[] }>();
      for (const r of this.st.instancesIn!.all(list) as Raw[]) {
        const instance = this.inst(r)!;
        byId.set(instance.id, { instance, images: [] });
      }
      for (const r of this.st.imagesIn!.all(list) as Raw[]) byId.get(Number(r.instance_id))?.images.push(toImage(r, this.fileOf));
      for (const id of ids.slice(at, at + IDS_PER_STATEMENT)) {
        const hit = byId.get(id);
        if (hit !== undefined) out.push(hit);
      }
    }
    return out;
  }

  async lastEvidenceNs(instanceId: number): Promise<bigint> {
    const r = this.st.lastEvidence!.get({ id: instanceId }) as { x: bigint | null } | undefined;
    return r?.x ?? 0n;
  }

  async chainAt(instanceId: number, atNs: bigint, lineage: 'parent' | 'creator', atSerial?: number): Promise<ChainRow[]> {
    const rows = (
      atSerial === undefined
        ? (lineage === 'parent' ? this.st.chainByParent! : this.st.chainByCreator!).all({ self: instanceId, at: atNs })
        : this.lazyStatement(`chainAtEvent${lineage}`, () => chainSql(lineage, true), true).all({ self: instanceId, at: atNs, serial: atSerial })
    ) as unknown[][];
    // Rows come in recursion order in practice; sort on the depth column so it is not assumed.
    rows.sort((a, b) => Number(a[0]) - Number(b[0]));
    return rows.map((r) => toChainRow(r, this.hostNames.get(Number(r[2])) ?? ''));
  }

  async childrenOf(parentId: number): Promise<InstanceRow[]> {
    return this.insts(this.st.children!.all({ id: parentId }));
  }

  async aliveAt(host: string, atNs: bigint): Promise<InstanceRow[]> {
    const hostId = this.hostIds.get(host);
    if (hostId === undefined) return [];
    if (!this.byLifetime) return this.insts(this.st.aliveAtScan!.all({ h: hostId, at: atNs }));
    const st = this.lazyStatement('aliveAt', () => `WITH ${liveIdsCte('>')} SELECT i.* FROM live JOIN instances i ON i.id = live.id ORDER BY i.pid, i.start_ns`);
    return this.insts(st.all({ h: hostId, from: atNs, to: atNs }));
  }

  async aliveLinksAt(host: string, atNs: bigint, atSerial?: number): Promise<ChainRow[]> {
    const hostId = this.hostIds.get(host);
    if (hostId === undefined) return [];
    const live = this.byLifetime
      ? liveIdsCte('>')
      : 'live(id) AS (SELECT id FROM instances WHERE host_id = @h AND start_ns <= @to AND (end_ns IS NULL OR end_ns > @from))';
    const event = atSerial !== undefined;
    const st = this.lazyStatement(`aliveLinksAt${this.byLifetime}${event}`, () => `WITH ${live} ${linkSelect('live.id', 'live', parentRowAt('live.id', event), '0', event)}`, true);
    const rows = st.all({ h: hostId, from: atNs, to: atNs, at: atNs, ...(event ? { serial: atSerial } : {}) }) as unknown[][];
    return rows.map((r) => toChainRow(r, host));
  }

  async overlapping(host: string, fromNs: bigint, toNs: bigint): Promise<InstanceRow[]> {
    const hostId = this.hostIds.get(host);
    if (hostId === undefined) return [];
    if (!this.byLifetime) return this.insts(this.st.overlapping!.all(hostId, toNs, fromNs));
    // The lifetime index's ranges, not a scan of the host's instances (report, trees at an event id).
    const st = this.lazyStatement('overlappingByLifetime', () => `WITH ${liveIdsCte('>=')} SELECT i.* FROM live JOIN instances i ON i.id = live.id ORDER BY i.start_ns, i.id`);
    return this.insts(st.all({ h: hostId, from: fromNs, to: toNs }));
  }

  async instancesWithImage(host: string | undefined, match: ImageMatch): Promise<number[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (match.cmdContains !== undefined) {
      // instr() is a plain substring test: no LIKE wildcards or case folding surprises.
      where.push('(instr(im.exe, ?) > 0 OR instr(im.argv, ?) > 0 OR instr(im.comm, ?) > 0)');
      const needle = match.cmdContains;
      // argv is stored as JSON: search for the JSON-escaped form of the needle.
      params.push(needle, JSON.stringify(needle).slice(1, -1), needle);
    }
    if (match.user !== undefined) {
      if (/^\d+$/.test(match.user)) {
        where.push('(im.uid = ? OR im.euid = ?)');
        params.push(Number(match.user), Number(match.user));
      } else {
        where.push('(im.user = ? OR im.euser = ?)');
        params.push(match.user, match.user);
      }
    }
    const cond = where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '';
    if (match.alive !== undefined && this.byLifetime) {
      // Time first: the instances alive in the window (lifetime index), then their images,
      // instead of testing every image row of the history (1M rows: seconds).
      const { fromNs, toNs } = match.alive;
      const hostIds = host !== undefined ? [this.hostIds.get(host)] : this.hostsWithData.map((h) => this.hostIds.get(h));
      const sql = `WITH ${liveIdsCte(fromNs === toNs ? '>' : '>=')} SELECT DISTINCT im.instance_id AS id FROM live JOIN images im ON im.instance_id = live.id${cond}`;
      const st = this.db.prepare(sql);
      const out: number[] = [];
      for (const h of hostIds) {
        if (h === undefined) continue;
        for (const r of st.all({ h, from: fromNs, to: toNs }, ...params) as { id: number }[]) out.push(Number(r.id));
      }
      return out;
    }
    let sql = `SELECT DISTINCT im.instance_id AS id FROM images im`;
    if (host !== undefined) {
      const hostId = this.hostIds.get(host);
      if (hostId === undefined) return [];
      sql += ' JOIN instances i ON i.id = im.instance_id AND i.host_id = ?';
      params.unshift(hostId);
    }
    sql += cond;
    return (this.db.prepare(sql).all(...params) as { id: number }[]).map((r) => Number(r.id));
  }

  async historyStartNs(host: string): Promise<bigint | undefined> {
    return this.startBound(host, 'min');
  }

  /** min/max of the starts (and loss records) of `host`. */
  private startBound(host: string, fn: 'min' | 'max'): bigint | undefined {
    const hostId = this.hostIds.get(host);
    if (hostId === undefined) return undefined;
    const sql = this.byLifetime
      ? // Per lifetime class, the first (last) start is one index seek: 14 seeks, not a scan.
        () => startBound(fn)
      : // Older files without the lifetime index: one scan (such files are small).
        () => `SELECT ${fn}(x) AS x FROM (SELECT ${fn}(start_ns) AS x FROM instances WHERE host_id = @h ${lossBound(fn)})`;
    const r = this.lazyStatement(`${fn}Start${this.byLifetime}`, sql).get({ h: hostId }) as { x: bigint | null } | undefined;
    return r?.x ?? undefined;
  }

  async historyEndNs(host: string, atNs?: bigint): Promise<bigint | undefined> {
    const lastStartNs = this.startBound(host, 'max');
    if (lastStartNs === undefined || (atNs !== undefined && lastStartNs >= atNs)) return lastStartNs;
    const hostId = this.hostIds.get(host)!;
    // The builder records each host's last record time at every commit: one key lookup.
    const recorded = this.lastRecordNs(hostId);
    if (recorded !== undefined) return recorded > lastStartNs ? recorded : lastStartNs;
    // Databases written before that key existed: derive it from the rows.
    // After the last start, only what was alive then can carry a later record (its end, an
    // exec, a reparent): the instances alive at that time, read like a tree at that time.
    const live = this.byLifetime ? liveIdsCte('>') : 'live(id) AS (SELECT id FROM instances WHERE host_id = @h AND start_ns <= @to AND (end_ns IS NULL OR end_ns > @from))';
    const st = this.lazyStatement(
      `historyEnd${this.byLifetime}`,
      () => `WITH ${live} SELECT max(x) AS x FROM (
        SELECT max(i.end_ns) AS x FROM live JOIN instances i ON i.id = live.id
        UNION ALL SELECT (SELECT max(since_ns) FROM images WHERE instance_id = live.id) FROM live
        UNION ALL SELECT (SELECT max(since_ns) FROM parents WHERE instance_id = live.id) FROM live)`,
    );
    const later = (st.get({ h: hostId, from: lastStartNs, to: lastStartNs }) as { x: bigint | null } | undefined)?.x;
    return later != null && later > lastStartNs ? later : lastStartNs;
  }

  private lastRecordNs(hostId: number): bigint | undefined {
    const row = this.lazyStatement('lastRecord', () => 'SELECT value FROM resume_state WHERE key = ?').get(LAST_RECORD_STATE_KEY) as { value: string } | undefined;
    const ns = row === undefined ? undefined : (JSON.parse(row.value) as Record<string, string>)[hostId];
    return ns === undefined ? undefined : BigInt(ns);
  }

  async sourcePaths(): Promise<string[]> {
    return [...this.files.entries()].sort((a, b) => a[0] - b[0]).map(([, path]) => path);
  }

  async sourceDigests(): Promise<Map<string, SourceDigest>> {
    return digestsByPath(this.files, this.digests);
  }

  async lossesBetween(host: string, fromNs: bigint, toNs: bigint): Promise<LossRow[]> {
    const hostId = this.hostIds.get(host);
    if (hostId === undefined) return [];
    return (this.st.losses!.all(hostId, fromNs, toNs) as Raw[]).map((r) => toLoss(r, host, this.fileOf));
  }
}

/**
 * With a query time given as an audit event id (@serial): a row of the same millisecond
 * whose record came after that event was not in force yet. Rows whose `rec` has no serial
 * (other sources) count as in force.
 */
const notAfterEvent = ` AND NOT (since_ns = @at AND instr(rec, ':') > 0 AND CAST(substr(rec, instr(rec, ':') + 1) AS INTEGER) > @serial)`;

/** The audit serial of a `rec` column (`SECONDS.MS:SERIAL`), NULL for other ids. */
const serialOf = (rec: string): string => `(CASE WHEN instr(${rec}, ':') > 0 THEN CAST(substr(${rec}, instr(${rec}, ':') + 1) AS INTEGER) END)`;

/**
 * The creator's image at a fork of the same millisecond as an exec of the creator: the
 * audit serials say which came first (a shell that forks, then execs in the same ms, gave
 * its child the old image). Without serials on both rows, the exec counts as before.
 */
const execAfterFork = ` AND NOT coalesce(since_ns = i.start_ns AND ${serialOf('rec')} > ${serialOf('i.start_rec')}, 0)`;

/** `parentAt` as a scalar: the parent row in force at @at, else the instance's first one. */
const parentRowAt = (id: string, event = false): string =>
  `coalesce((SELECT id FROM parents WHERE instance_id = ${id} AND since_ns <= @at${event ? notAfterEvent : ''} ORDER BY since_ns DESC, id DESC LIMIT 1),
            (SELECT id FROM parents WHERE instance_id = ${id} ORDER BY since_ns, id LIMIT 1))`;

/**
 * One statement for a whole ancestry chain (see HistoryStore.chainAt): the recursive step
 * follows only what ancestryAt would follow without a second look, and the outer select
 * reads each link's columns in the order `toChainRow` expects. Measured on 1M instances, an
 * 8-link chain: ~36 us, against ~4 statements per link before.
 */
function chainSql(lineage: 'parent' | 'creator', event = false): string {
  const chain =
    lineage === 'parent'
      ? `chain(n, id, pr) AS (
           SELECT 0, @self, ${parentRowAt('@self', event)}
           UNION ALL
           SELECT c.n + 1, p.parent_id, ${parentRowAt('p.parent_id', event)}
           FROM chain c JOIN parents p ON p.id = c.pr JOIN instances up ON up.id = p.parent_id
           WHERE c.n < 255 AND p.ppid <> 0 AND up.start_ns <= @at AND (up.end_ns IS NULL OR up.end_ns > @at))`
      : `chain(n, id, pr) AS (
           SELECT 0, @self, NULL
           UNION ALL
           SELECT c.n + 1, i.creator_id, NULL
           FROM chain c JOIN instances i ON i.id = c.id JOIN instances up ON up.id = i.creator_id
           WHERE c.n < 255)`;
  const pr = lineage === 'parent' ? 'c.pr' : parentRowAt('c.id', event);
  return `WITH RECURSIVE ${chain} ${linkSelect('c.id', 'chain c', pr, 'c.n', event)}`;
}

/**
 * The columns of a `ChainRow` (see `toChainRow`) for each instance id `idExpr` of `from`:
 * the instance, its parent row `parentRowId`, its own image at @at and, without one, the
 * image its creator had at the fork.
 */
function linkSelect(idExpr: string, from: string, parentRowId: string, depth = '0', event = false): string {
  return `SELECT ${depth}, i.id, i.host_id, i.pid, i.start_ns, i.start_known, i.end_ns, i.end_certainty, i.end_reason, i.exit_code, i.exit_signal, i.creator_pid, i.creator_id,
           p.instance_id, p.since_ns, p.ppid, p.parent_id, p.kind,
           im.instance_id, im.since_ns, im.kind, im.exe, im.argv, im.argv_truncated, im.comm, im.cwd, im.uid, im.euid, im.gid, im.auid, im.user, im.euser,
           ih.instance_id, ih.since_ns, ih.kind, ih.exe, ih.argv, ih.argv_truncated, ih.comm, ih.cwd, ih.uid, ih.euid, ih.gid, ih.auid, ih.user, ih.euser
    FROM ${from} JOIN instances i ON i.id = ${idExpr}
    LEFT JOIN parents p ON p.id = ${parentRowId}
    LEFT JOIN images im ON im.id = (SELECT id FROM images WHERE instance_id = i.id AND since_ns <= @at${event ? notAfterEvent : ''} ORDER BY since_ns DESC, id DESC LIMIT 1)
    LEFT JOIN images ih ON im.id IS NULL AND ih.id = (SELECT id FROM images WHERE instance_id = i.creator_id AND since_ns <= i.start_ns${execAfterFork} ORDER BY since_ns DESC, id DESC LIMIT 1)`;
}

/**
 * The lifetime class of the lifetime index (schema/*-lifetime-index.sql), spelled exactly as there (SQLite uses an
 * expression index only for the same expression): digits of the lifetime in ms, 0 = no end.
 */
const lifetimeClass = (t: string): string => `(CASE WHEN ${t}.end_ns IS NULL THEN 0 ELSE length(max(${t}.end_ns - ${t}.start_ns, 0) / 1000000) END)`;

/** `min`/`max` of start_ns of host @h and of its loss records: one index seek per lifetime class. */
function startBound(fn: 'min' | 'max'): string {
  const perClass = Array.from({ length: 14 }, (_, k) => `SELECT (SELECT ${fn}(i.start_ns) FROM instances i WHERE i.host_id = @h AND ${lifetimeClass('i')} = ${k}) AS x`);
  return `SELECT ${fn}(x) AS x FROM (${perClass.join(' UNION ALL ')} ${lossBound(fn)})`;
}

/** A loss record is a record too (losses_by_time: one seek). */
const lossBound = (fn: 'min' | 'max'): string => `UNION ALL SELECT (SELECT ${fn}(at_ns) FROM losses WHERE host_id = @h)`;

/** Classes 1..13: an int64 ns lifetime is below 9.3e12 ms, 13 digits at most. */
/** Ids bound as one JSON list per statement: bounded so one statement stays short. */
const IDS_PER_STATEMENT = 1000;

const LIFETIME_SPANS = Array.from({ length: 13 }, (_, i) => `(${i + 1}, ${10n ** BigInt(i + 1) * 1_000_000n})`).join(', ');

/**
 * `live(id)`: instances of host @h alive at some point of [@from, @to] (`>`: alive at
 * @from = @to, i.e. end > T; `>=`: a window, an end at @from counts). Per lifetime class k,
 * one range scan of start_ns over [@from - 10^k ms, @to]; open instances: start <= @to.
 */
function liveIdsCte(endOp: '>' | '>='): string {
  return `spans(k, span) AS (VALUES ${LIFETIME_SPANS}),
    live(id) AS (
      SELECT i.id FROM spans JOIN instances i ON i.host_id = @h AND ${lifetimeClass('i')} = spans.k AND i.start_ns BETWEEN @from - spans.span AND @to
      WHERE i.end_ns ${endOp} @from
      UNION ALL
      SELECT o.id FROM instances o WHERE o.host_id = @h AND ${lifetimeClass('o')} = 0 AND o.start_ns <= @to)`;
}
