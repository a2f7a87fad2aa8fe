import type { Statement } from 'better-sqlite3';
import type { HistoryStore, ImageMatch } from './history-store.js';
import type { ImageRow, InstanceRow, LossRow, ParentRow } from './history-types.js';
import { openHistoryDb, type SqliteDatabase } from './open-history-db.js';
import { toImage, toInstance, toLoss, toParent } from './row-mappers.js';

type Raw = Record<string, unknown>;

/** Opens a history file for queries (read-only; a missing or foreign file is a UserError). */
export function openHistoryStore(path: string): HistoryStore {
  return new SqliteHistoryStore(openHistoryDb(path, { readonly: true }));
}

/** The SQLite HistoryStore. Statements are prepared once; integers are read as bigint. */
export class SqliteHistoryStore implements HistoryStore {
  private readonly hostIds = new Map<string, number>();
  private readonly hostNames = new Map<number, string>();
  /** Hosts that have process records (the default host row exists even when unused). */
  private hostsWithData: string[] = [];
  private readonly files = new Map<number, string>();
  private readonly st: Record<string, Statement>;
  private readonly fileOf = (id: number): string | undefined => this.files.get(id);

  constructor(
    private readonly db: SqliteDatabase,
    private readonly ownsDb = true,
  ) {
    const prep = (sql: string): Statement => db.prepare(sql).safeIntegers(true);
    this.st = {
      begin: db.prepare('BEGIN'),
      commit: db.prepare('COMMIT'),
      instancesAt: prep(
        `SELECT * FROM instances WHERE host_id = ? AND pid = ? AND start_ns <= ? AND (end_ns IS NULL OR end_ns > ?)
         ORDER BY start_ns DESC LIMIT 8`,
      ),
      instancesOfPid: prep('SELECT * FROM instances WHERE host_id = ? AND pid = ? ORDER BY start_ns, id'),
      instance: prep('SELECT * FROM instances WHERE id = ?'),
      parentAt: prep('SELECT * FROM parents WHERE instance_id = ? AND since_ns <= ? ORDER BY since_ns DESC, id DESC LIMIT 1'),
      firstParent: prep('SELECT * FROM parents WHERE instance_id = ? ORDER BY since_ns, id LIMIT 1'),
      parents: prep('SELECT * FROM parents WHERE instance_id = ? ORDER BY since_ns, id'),
      imageAt: prep('SELECT * FROM images WHERE instance_id = ? AND since_ns <= ? ORDER BY since_ns DESC, id DESC LIMIT 1'),
      images: prep('SELECT * FROM images WHERE instance_id = ? ORDER BY since_ns, id'),
      children: prep(
        `SELECT * FROM instances WHERE id IN (SELECT instance_id FROM parents WHERE parent_id = @id UNION SELECT id FROM instances WHERE creator_id = @id)
         ORDER BY start_ns, id`,
      ),
      aliveAt: prep('SELECT * FROM instances WHERE host_id = ? AND start_ns <= ? AND (end_ns IS NULL OR end_ns > ?) ORDER BY pid, start_ns'),
      overlapping: prep('SELECT * FROM instances WHERE host_id = ? AND start_ns <= ? AND (end_ns IS NULL OR end_ns >= ?) ORDER BY start_ns, id'),
      lastEvidence: prep(
        `SELECT max(x) AS x FROM (SELECT max(since_ns) AS x FROM parents WHERE instance_id = @id
         UNION ALL SELECT max(since_ns) FROM images WHERE instance_id = @id
         UNION ALL SELECT max(start_ns) FROM instances WHERE creator_id = @id
         UNION ALL SELECT start_ns FROM instances WHERE id = @id)`,
      ),
      losses: prep('SELECT * FROM losses WHERE host_id = ? AND at_ns >= ? AND at_ns <= ? ORDER BY at_ns, id'),
    };
    this.refreshNames();
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
    for (const r of this.db.prepare('SELECT id, path FROM sources').all() as { id: number; path: string }[]) this.files.set(r.id, r.path);
  }

  read<T>(fn: () => T): T {
    if (this.db.inTransaction) return fn();
    this.st.begin!.run();
    try {
      return fn();
    } finally {
      this.st.commit!.run();
    }
  }

  hosts(): string[] {
    return [...this.hostsWithData];
  }

  private inst(r: Raw | undefined): InstanceRow | undefined {
    if (r === undefined) return undefined;
    return toInstance(r, this.hostNames.get(Number(r.host_id)) ?? '', this.fileOf);
  }

  private insts(rows: unknown[]): InstanceRow[] {
    return rows.map((r) => this.inst(r as Raw)!);
  }

  instancesAt(host: string, pid: number, atNs: bigint): InstanceRow[] {
    const hostId = this.hostIds.get(host);
    if (hostId === undefined) return [];
    const rows = this.insts(this.st.instancesAt!.all(hostId, pid, atNs, atNs));
    // Prefer a known start over "seen since": a fork record is stronger evidence.
    return rows.sort((a, b) => Number(b.startKnown) - Number(a.startKnown));
  }

  instancesOfPid(host: string, pid: number): InstanceRow[] {
    const hostId = this.hostIds.get(host);
    return hostId === undefined ? [] : this.insts(this.st.instancesOfPid!.all(hostId, pid));
  }

  instance(id: number): InstanceRow | undefined {
    return this.inst(this.st.instance!.get(id) as Raw | undefined);
  }

  parentAt(instanceId: number, atNs: bigint): ParentRow | undefined {
    const r = (this.st.parentAt!.get(instanceId, atNs) ?? this.st.firstParent!.get(instanceId)) as Raw | undefined;
    return r === undefined ? undefined : toParent(r, this.fileOf);
  }

  parents(instanceId: number): ParentRow[] {
    return (this.st.parents!.all(instanceId) as Raw[]).map((r) => toParent(r, this.fileOf));
  }

  ownImageAt(instanceId: number, atNs: bigint): ImageRow | undefined {
    const r = this.st.imageAt!.get(instanceId, atNs) as Raw | undefined;
    return r === undefined ? undefined : toImage(r, this.fileOf);
  }

  images(instanceId: number): ImageRow[] {
    return (this.st.images!.all(instanceId) as Raw[]).map((r) => toImage(r, this.fileOf));
  }

  lastEvidenceNs(instanceId: number): bigint {
    const r = this.st.lastEvidence!.get({ id: instanceId }) as { x: bigint | null } | undefined;
    return r?.x ?? 0n;
  }

  childrenOf(parentId: number): InstanceRow[] {
    return this.insts(this.st.children!.all({ id: parentId }));
  }

  aliveAt(host: string, atNs: bigint): InstanceRow[] {
    const hostId = this.hostIds.get(host);
    return hostId === undefined ? [] : this.insts(this.st.aliveAt!.all(hostId, atNs, atNs));
  }

  overlapping(host: string, fromNs: bigint, toNs: bigint): InstanceRow[] {
    const hostId = this.hostIds.get(host);
    return hostId === undefined ? [] : this.insts(this.st.overlapping!.all(hostId, toNs, fromNs));
  }

  instancesWithImage(host: string | undefined, match: ImageMatch): number[] {
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
    let sql = `SELECT DISTINCT im.instance_id AS id FROM images im`;
    if (host !== undefined) {
      const hostId = this.hostIds.get(host);
      if (hostId === undefined) return [];
      sql += ' JOIN instances i ON i.id = im.instance_id AND i.host_id = ?';
      params.unshift(hostId);
    }
    if (where.length > 0) sql += ` WHERE ${where.join(' AND ')}`;
    return (this.db.prepare(sql).all(...params) as { id: number }[]).map((r) => Number(r.id));
  }

  lossesBetween(host: string, fromNs: bigint, toNs: bigint): LossRow[] {
    const hostId = this.hostIds.get(host);
    if (hostId === undefined) return [];
    return (this.st.losses!.all(hostId, fromNs, toNs) as Raw[]).map((r) => toLoss(r, host, this.fileOf));
  }

  close(): void {
    if (this.ownsDb) this.db.close();
  }
}
