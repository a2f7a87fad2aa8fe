import type { Statement } from 'better-sqlite3';
import type { HistoryRecordsReader, InstanceCursor, TimeWindow } from './history-records.js';
import type { ImageRow, InstanceRow, ParentRow } from './history-types.js';
import type { SqliteDatabase } from './open-history-db.js';
import { toImage, toInstance, toParent } from './row-mappers.js';

type Raw = Record<string, unknown>;

/** Int64 bounds of an open window side (times are ns since the epoch, never negative). */
const OPEN_FROM_NS = 0n;
const OPEN_TO_NS = (1n << 63n) - 1n;

/**
 * HistoryRecordsReader on SQLite. Instances come in start order without an index on
 * start_ns alone: the lifetime index (schema/003) orders each lifetime class by start, so a
 * page is the first `limit` of each of the 14 classes (index-only reads), merged and cut.
 */
export class SqliteHistoryRecords implements HistoryRecordsReader {
  private readonly hostIds = new Map<string, number>();
  private readonly hostNames = new Map<number, string>();
  private readonly files = new Map<number, string>();
  private readonly hostsWithData: string[];
  private readonly byLifetime: boolean;
  private readonly statements = new Map<string, Statement>();
  private readonly fileOf = (id: number): string | undefined => this.files.get(id);

  constructor(private readonly db: SqliteDatabase) {
    for (const r of db.prepare('SELECT id, name FROM hosts').all() as { id: number; name: string }[]) {
      this.hostIds.set(r.name, r.id);
      this.hostNames.set(r.id, r.name);
    }
    for (const r of db.prepare('SELECT id, path FROM sources').all() as { id: number; path: string }[]) this.files.set(r.id, r.path);
    this.hostsWithData = (
      db.prepare('SELECT name FROM hosts WHERE EXISTS (SELECT 1 FROM instances WHERE instances.host_id = hosts.id) ORDER BY name').all() as { name: string }[]
    ).map((r) => r.name);
    this.byLifetime = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'instances_by_lifetime'").get() !== undefined;
  }

  private statement(key: string, sql: () => string): Statement {
    let st = this.statements.get(key);
    if (st === undefined) {
      st = this.db.prepare(sql());
      st.safeIntegers(true);
      this.statements.set(key, st);
    }
    return st;
  }

  private inst(r: Raw): InstanceRow {
    return toInstance(r, this.hostNames.get(Number(r.host_id)) ?? '', this.fileOf);
  }

  async hosts(): Promise<string[]> {
    return [...this.hostsWithData];
  }

  async instancesByStart(host: string, window: TimeWindow, after: InstanceCursor | undefined, limit: number): Promise<InstanceRow[]> {
    const hostId = this.hostIds.get(host);
    if (hostId === undefined) return [];
    const st = this.statement(`byStart${this.byLifetime}`, () => (this.byLifetime ? byStartSql() : byStartScanSql));
    const rows = st.all({
      h: hostId,
      from: window.fromNs ?? OPEN_FROM_NS,
      to: window.toNs ?? OPEN_TO_NS,
      as: after?.startNs ?? -1n,
      aid: after?.id ?? -1,
      n: limit,
    }) as Raw[];
    return rows.map((r) => this.inst(r));
  }

  async parentsOf(instanceIds: readonly number[]): Promise<ParentRow[]> {
    const st = this.statement('parentsOf', () => 'SELECT * FROM parents WHERE instance_id IN (SELECT value FROM json_each(?)) ORDER BY instance_id, since_ns, id');
    return (st.all(JSON.stringify(instanceIds)) as Raw[]).map((r) => toParent(r, this.fileOf));
  }

  async imagesOf(instanceIds: readonly number[]): Promise<ImageRow[]> {
    const st = this.statement('imagesOf', () => 'SELECT * FROM images WHERE instance_id IN (SELECT value FROM json_each(?)) ORDER BY instance_id, since_ns, id');
    return (st.all(JSON.stringify(instanceIds)) as Raw[]).map((r) => toImage(r, this.fileOf));
  }

  async instancesById(instanceIds: readonly number[]): Promise<InstanceRow[]> {
    const st = this.statement('instancesById', () => 'SELECT * FROM instances WHERE id IN (SELECT value FROM json_each(?))');
    return (st.all(JSON.stringify(instanceIds)) as Raw[]).map((r) => this.inst(r));
  }
}

/** The lifetime class expression, spelled exactly as in schema/003 (else SQLite ignores the index). */
const lifetimeClass = `(CASE WHEN i.end_ns IS NULL THEN 0 ELSE length(max(i.end_ns - i.start_ns, 0) / 1000000) END)`;

/** After the cursor: later start, or the same start and a higher id. */
const afterCursor = `i.start_ns >= @as AND (i.start_ns > @as OR i.id > @aid)`;

/**
 * Per class k (lifetime < 10^k ms), an instance overlapping [from, to] started within
 * [from - 10^k ms, to]: one index range per class, the first @n of each, then the first @n
 * of those. Class 0 (no end yet) is open-ended: start <= to.
 */
function byStartSql(): string {
  const perClass = [`SELECT * FROM (SELECT i.id, i.start_ns FROM instances i WHERE i.host_id = @h AND ${lifetimeClass} = 0 AND i.start_ns <= @to AND ${afterCursor} ORDER BY i.start_ns, i.id LIMIT @n)`];
  for (let k = 1; k <= 13; k++) {
    const spanNs = 10n ** BigInt(k) * 1_000_000n;
    perClass.push(
      `SELECT * FROM (SELECT i.id, i.start_ns FROM instances i WHERE i.host_id = @h AND ${lifetimeClass} = ${k} AND i.start_ns BETWEEN @from - ${spanNs} AND @to AND i.end_ns >= @from AND ${afterCursor} ORDER BY i.start_ns, i.id LIMIT @n)`,
    );
  }
  return `SELECT i.* FROM (SELECT id, start_ns FROM (${perClass.join(' UNION ALL ')}) ORDER BY start_ns, id LIMIT @n) page JOIN instances i ON i.id = page.id ORDER BY i.start_ns, i.id`;
}

/** Files written before the lifetime index: one sorted scan per page (such files are small). */
const byStartScanSql = `SELECT * FROM instances i WHERE i.host_id = @h AND i.start_ns <= @to AND (i.end_ns IS NULL OR i.end_ns >= @from) AND ${afterCursor} ORDER BY i.start_ns, i.id LIMIT @n`;
