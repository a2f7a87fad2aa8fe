import { connectPg, pgConfig, pgWhere } from './pg-connect.js';
import { HistoryNames } from './pg-history-names.js';
import { PgQueryQueue, type Params } from './pg-query-queue.js';
import { digestsByPath, type ChainRow, type HistoryReader, type HistoryStore, type ImageMatch, type SourceDigest } from '../history-store.js';
import { LAST_RECORD_STATE_KEY, type ImageRow, type InstanceRow, type LossRow, type ParentRow } from '../history-types.js';
import { toChainRow, toImage, toInstance, toLoss, toParent } from '../row-mappers.js';
import { hostOfId } from './pg-id-ranges.js';
import { checkReadableSchema } from './pg-schema.js';

type Raw = Record<string, unknown>;

/**
 * Opens a PostgreSQL history for queries: `url` (postgres://...), or '' for the PG*
 * variables of `env` (libpq's convention). A server that cannot be reached, or a database
 * that is not a proc-tree history, is a UserError.
 */
export async function openPgHistoryStore(url: string, env: NodeJS.ProcessEnv = process.env): Promise<HistoryStore> {
  const where = pgWhere(url);
  return connectPg(pgConfig(url, env), where, async (client) => {
    await checkReadableSchema(client, where);
    const names = await HistoryNames.load(client);
    const queue = new PgQueryQueue(client);
    return new PgHistoryStore(queue, new PgHistoryReader(queue, names));
  });
}

/**
 * The PostgreSQL HistoryStore: one connection; each `read` one REPEATABLE READ READ ONLY
 * transaction. Overlapping `read`s share it, as on SQLite (one connection, one transaction).
 */
class PgHistoryStore implements HistoryStore {
  readonly backend = 'postgres';
  private active = 0;
  private opened: Promise<unknown> | undefined;

  constructor(
    private readonly queue: PgQueryQueue,
    private readonly reader: PgHistoryReader,
  ) {}

  async read<T>(fn: (reader: HistoryReader) => Promise<T>): Promise<T> {
    if (this.active++ === 0) this.opened = this.queue.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    try {
      await this.opened;
      return await fn(this.reader);
    } finally {
      if (--this.active === 0) await this.queue.query('COMMIT').catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    await this.queue.client.end().catch(() => undefined);
  }
}

/**
 * The PostgreSQL lookups: the SQLite store's statements (the reference) in PostgreSQL's
 * dialect, each with the host id every index of schema/postgres starts with. Ids are
 * unique in the whole database (per-host ranges), so an instance id names its host.
 */
class PgHistoryReader implements HistoryReader {
  private readonly fileOf = (id: number): string | undefined => this.names.files.get(id);

  constructor(
    private readonly queue: PgQueryQueue,
    private readonly names: HistoryNames,
  ) {}

  private all(sql: string, params: Params): Promise<Raw[]> {
    return this.queue.rows(sql, params);
  }

  private arrays(sql: string, params: Params): Promise<unknown[][]> {
    return this.queue.arrayRows(sql, params);
  }

  private inst(r: Raw | undefined): InstanceRow | undefined {
    if (r === undefined) return undefined;
    return toInstance(r, this.names.hostNames.get(Number(r.host_id)) ?? '', this.fileOf);
  }

  private insts(rows: Raw[]): InstanceRow[] {
    return rows.map((r) => this.inst(r)!);
  }

  async hosts(): Promise<string[]> {
    return [...this.names.hostsWithData];
  }

  async instancesAt(host: string, pid: number, atNs: bigint): Promise<InstanceRow[]> {
    const h = this.names.hostIds.get(host);
    if (h === undefined) return [];
    const rows = this.insts(
      await this.all('SELECT * FROM instances WHERE host_id = @h AND pid = @pid AND start_ns <= @at AND (end_ns IS NULL OR end_ns > @at) ORDER BY start_ns DESC LIMIT 8', { h, pid, at: atNs }),
    );
    // Prefer a known start over "seen since": a fork record is stronger evidence.
    return rows.sort((a, b) => Number(b.startKnown) - Number(a.startKnown));
  }

  async instancesOfPid(host: string, pid: number): Promise<InstanceRow[]> {
    const h = this.names.hostIds.get(host);
    if (h === undefined) return [];
    return this.insts(await this.all('SELECT * FROM instances WHERE host_id = @h AND pid = @pid ORDER BY start_ns, id', { h, pid }));
  }

  async hostsWithPid(pid: number): Promise<string[]> {
    // LATERAL: one (host_id, pid) index seek per host, in the host's partition or shard.
    const rows = await this.all('SELECT h.id FROM hosts h CROSS JOIN LATERAL (SELECT 1 FROM instances i WHERE i.host_id = h.id AND i.pid = @pid LIMIT 1) x', { pid });
    const holders = new Set(rows.map((r) => this.names.hostNames.get(Number(r.id))));
    return this.names.hostsWithData.filter((h) => holders.has(h));
  }

  async instance(id: number): Promise<InstanceRow | undefined> {
    return this.inst((await this.all('SELECT * FROM instances WHERE host_id = @h AND id = @id', { h: hostOfId(id), id }))[0]);
  }

  async parentAt(instanceId: number, atNs: bigint): Promise<ParentRow | undefined> {
    const rows = await this.all(`SELECT p.* FROM parents p WHERE p.host_id = @h AND p.id = ${parentRowAt('@id')}`, { h: hostOfId(instanceId), id: instanceId, at: atNs });
    return rows[0] === undefined ? undefined : toParent(rows[0], this.fileOf);
  }

  async parents(instanceId: number): Promise<ParentRow[]> {
    const rows = await this.all('SELECT * FROM parents WHERE host_id = @h AND instance_id = @id ORDER BY since_ns, id', { h: hostOfId(instanceId), id: instanceId });
    return rows.map((r) => toParent(r, this.fileOf));
  }

  async ownImageAt(instanceId: number, atNs: bigint, atSerial?: number): Promise<ImageRow | undefined> {
    const event = atSerial !== undefined;
    const rows = await this.all(
      `SELECT * FROM images WHERE host_id = @h AND instance_id = @id AND since_ns <= @at${event ? notAfterEvent : ''} ORDER BY since_ns DESC, id DESC LIMIT 1`,
      { h: hostOfId(instanceId), id: instanceId, at: atNs, ...(event ? { serial: atSerial } : {}) },
    );
    return rows[0] === undefined ? undefined : toImage(rows[0], this.fileOf);
  }

  async images(instanceId: number): Promise<ImageRow[]> {
    const rows = await this.all('SELECT * FROM images WHERE host_id = @h AND instance_id = @id ORDER BY since_ns, id', { h: hostOfId(instanceId), id: instanceId });
    return rows.map((r) => toImage(r, this.fileOf));
  }

  async instancesWithImages(ids: readonly number[]): Promise<{ instance: InstanceRow; images: ImageRow[] }[]> {
    const out: { instance: InstanceRow; images: ImageRow[] }[] = [];
    for (let at = 0; at < ids.length; at += IDS_PER_STATEMENT) {
      const part = ids.slice(at, at + IDS_PER_STATEMENT);
      // host_id first, as every key: one index seek per id, in its host's partition or shard.
      const params = { hs: [...new Set(part.map(hostOfId))].join(','), ids: part.join(',') };
      const byId = new Map<number, { instance: InstanceRow; images: ImageRow[] }>();
      const where = "host_id = ANY(string_to_array(@hs, ',')::bigint[]) AND";
      for (const r of await this.all(`SELECT * FROM instances WHERE ${where} id = ANY(string_to_array(@ids, ',')::bigint[])`, params)) {
        const instance = this.inst(r)!;
        byId.set(instance.id, { instance, images: [] });
      }
      for (const r of await this.all(`SELECT * FROM images WHERE ${where} instance_id = ANY(string_to_array(@ids, ',')::bigint[]) ORDER BY instance_id, since_ns, id`, params)) {
        byId.get(Number(r.instance_id))?.images.push(toImage(r, this.fileOf));
      }
      for (const id of part) {
        const hit = byId.get(id);
        if (hit !== undefined) out.push(hit);
      }
    }
    return out;
  }

  async lastEvidenceNs(instanceId: number): Promise<bigint> {
    const rows = await this.all(
      `SELECT greatest((SELECT max(since_ns) FROM parents WHERE host_id = @h AND instance_id = @id),
         (SELECT max(since_ns) FROM images WHERE host_id = @h AND instance_id = @id),
         (SELECT max(start_ns) FROM instances WHERE host_id = @h AND creator_id = @id),
         (SELECT start_ns FROM instances WHERE host_id = @h AND id = @id)) AS x`,
      { h: hostOfId(instanceId), id: instanceId },
    );
    const x = rows[0]?.x;
    return x === null || x === undefined ? 0n : BigInt(x as string);
  }

  async chainAt(instanceId: number, atNs: bigint, lineage: 'parent' | 'creator', atSerial?: number): Promise<ChainRow[]> {
    const event = atSerial !== undefined;
    const rows = await this.arrays(chainSql(lineage, event), { h: hostOfId(instanceId), self: instanceId, at: atNs, ...(event ? { serial: atSerial } : {}) });
    rows.sort((a, b) => Number(a[0]) - Number(b[0]));
    return rows.map((r) => toChainRow(r, this.names.hostNames.get(Number(r[2])) ?? ''));
  }

  async childrenOf(parentId: number): Promise<InstanceRow[]> {
    return this.insts(
      await this.all(
        `SELECT * FROM instances WHERE host_id = @h AND id IN (SELECT instance_id FROM parents WHERE host_id = @h AND parent_id = @id
           UNION SELECT id FROM instances WHERE host_id = @h AND creator_id = @id)
         ORDER BY start_ns, id`,
        { h: hostOfId(parentId), id: parentId },
      ),
    );
  }

  async aliveAt(host: string, atNs: bigint): Promise<InstanceRow[]> {
    const h = this.names.hostIds.get(host);
    if (h === undefined) return [];
    return this.insts(await this.all(`WITH ${liveIdsCte('>')} SELECT i.* FROM live JOIN instances i ON i.host_id = @h AND i.id = live.id ORDER BY i.pid, i.start_ns`, { h, from: atNs, to: atNs }));
  }

  async aliveLinksAt(host: string, atNs: bigint, atSerial?: number): Promise<ChainRow[]> {
    const h = this.names.hostIds.get(host);
    if (h === undefined) return [];
    const event = atSerial !== undefined;
    const rows = await this.arrays(`WITH ${liveIdsCte('>')} ${linkSelect('live.id', 'live', parentRowAt('live.id', event), '0', event)}`, {
      h,
      from: atNs,
      to: atNs,
      at: atNs,
      ...(event ? { serial: atSerial } : {}),
    });
    return rows.map((r) => toChainRow(r, host));
  }

  async overlapping(host: string, fromNs: bigint, toNs: bigint): Promise<InstanceRow[]> {
    const h = this.names.hostIds.get(host);
    if (h === undefined) return [];
    // The lifetime index's ranges, as aliveAt: not a scan of the host's instances.
    return this.insts(await this.all(`WITH ${liveIdsCte('>=')} SELECT i.* FROM live JOIN instances i ON i.host_id = @h AND i.id = live.id ORDER BY i.start_ns, i.id`, { h, from: fromNs, to: toNs }));
  }

  async instancesWithImage(host: string | undefined, match: ImageMatch): Promise<number[]> {
    const where: string[] = [];
    const params: Params = {};
    if (match.cmdContains !== undefined) {
      // strpos() is a plain substring test: no LIKE wildcards or case folding surprises.
      where.push('(strpos(im.exe, @needle) > 0 OR strpos(im.argv, @jsonNeedle) > 0 OR strpos(im.comm, @needle) > 0)');
      params.needle = match.cmdContains;
      // argv is stored as JSON: search for the JSON-escaped form of the needle.
      params.jsonNeedle = JSON.stringify(match.cmdContains).slice(1, -1);
    }
    if (match.user !== undefined) {
      if (/^\d+$/.test(match.user)) {
        where.push('(im.uid = @uid OR im.euid = @uid)');
        params.uid = BigInt(match.user);
      } else {
        where.push('(im."user" = @user OR im.euser = @user)');
        params.user = match.user;
      }
    }
    const cond = where.length > 0 ? ` AND ${where.join(' AND ')}` : '';
    const hostIds = host !== undefined ? [this.names.hostIds.get(host)] : this.names.hostsWithData.map((n) => this.names.hostIds.get(n));
    const out: number[] = [];
    for (const h of hostIds) {
      if (h === undefined) continue;
      // With a window: time first, the instances alive in it (lifetime index), then their images.
      const sql =
        match.alive !== undefined
          ? `WITH ${liveIdsCte(match.alive.fromNs === match.alive.toNs ? '>' : '>=')} SELECT DISTINCT im.instance_id AS id FROM live JOIN images im ON im.host_id = @h AND im.instance_id = live.id${cond}`
          : `SELECT DISTINCT im.instance_id AS id FROM images im WHERE im.host_id = @h${cond}`;
      const window: Params = match.alive !== undefined ? { from: match.alive.fromNs, to: match.alive.toNs } : {};
      for (const r of await this.all(sql, { ...params, ...window, h })) out.push(Number(r.id));
    }
    return out;
  }

  async historyStartNs(host: string): Promise<bigint | undefined> {
    return this.startBound(host, 'min');
  }

  /** min/max of the starts (and loss records) of `host`: one index seek per lifetime class. */
  private async startBound(host: string, fn: 'min' | 'max'): Promise<bigint | undefined> {
    const h = this.names.hostIds.get(host);
    if (h === undefined) return undefined;
    const x = (await this.all(startBound(fn), { h }))[0]?.x;
    return x === null || x === undefined ? undefined : BigInt(x as string);
  }

  async historyEndNs(host: string, atNs?: bigint): Promise<bigint | undefined> {
    const lastStartNs = await this.startBound(host, 'max');
    if (lastStartNs === undefined || (atNs !== undefined && lastStartNs >= atNs)) return lastStartNs;
    const h = this.names.hostIds.get(host)!;
    // The builder records each host's last record time at every commit: one key lookup.
    const recorded = await this.lastRecordNs(h);
    if (recorded !== undefined) return recorded > lastStartNs ? recorded : lastStartNs;
    // Without that key: what was alive at the last start is all that can carry a later record.
    const rows = await this.all(
      `WITH ${liveIdsCte('>')} SELECT max(x) AS x FROM (
        SELECT max(i.end_ns) AS x FROM live JOIN instances i ON i.host_id = @h AND i.id = live.id
        UNION ALL SELECT (SELECT max(since_ns) FROM images WHERE host_id = @h AND instance_id = live.id) FROM live
        UNION ALL SELECT (SELECT max(since_ns) FROM parents WHERE host_id = @h AND instance_id = live.id) FROM live) t`,
      { h, from: lastStartNs, to: lastStartNs },
    );
    const later = rows[0]?.x;
    return later !== null && later !== undefined && BigInt(later as string) > lastStartNs ? BigInt(later as string) : lastStartNs;
  }

  /**
   * The recorded last record time of host `hostId`. Each ingest keeps its state under its
   * own default host, so several rows may name the host: the latest wins.
   */
  private async lastRecordNs(hostId: number): Promise<bigint | undefined> {
    let best: bigint | undefined;
    for (const r of await this.all('SELECT value FROM resume_state WHERE key = @key', { key: LAST_RECORD_STATE_KEY })) {
      const ns = (JSON.parse(String(r.value)) as Record<string, string>)[hostId];
      if (ns !== undefined && (best === undefined || BigInt(ns) > best)) best = BigInt(ns);
    }
    return best;
  }

  async sourcePaths(): Promise<string[]> {
    return [...this.names.files.entries()].sort((a, b) => a[0] - b[0]).map(([, path]) => path);
  }

  async sourceDigests(): Promise<Map<string, SourceDigest>> {
    return digestsByPath(this.names.files, this.names.digests);
  }

  async lossesBetween(host: string, fromNs: bigint, toNs: bigint): Promise<LossRow[]> {
    const h = this.names.hostIds.get(host);
    if (h === undefined) return [];
    const rows = await this.all('SELECT * FROM losses WHERE host_id = @h AND at_ns >= @from AND at_ns <= @to ORDER BY at_ns, id', { h, from: fromNs, to: toNs });
    return rows.map((r) => toLoss(r, host, this.fileOf));
  }
}

/**
 * The audit serial of a `rec` column (`SECONDS.MS:SERIAL`), NULL without a ':'; as SQLite's
 * CAST(substr(rec, instr(rec, ':') + 1) AS INTEGER): the leading digits after the first
 * ':', 0 when there are none. numeric: no overflow on a foreign id.
 */
const serialOf = (rec: string): string => `(CASE WHEN strpos(${rec}, ':') > 0 THEN coalesce(substring(${rec} from '^[^:]*:([0-9]+)')::numeric, 0) END)`;

/** See the SQLite store: a row of the query's millisecond recorded after event @serial was not in force yet. */
const notAfterEvent = ` AND NOT (since_ns = @at AND strpos(rec, ':') > 0 AND ${serialOf('rec')} > @serial)`;

/** See the SQLite store: the creator's image at a fork of the same millisecond as its exec, by audit serials. */
const execAfterFork = ` AND NOT coalesce(since_ns = i.start_ns AND ${serialOf('rec')} > ${serialOf('i.start_rec')}, false)`;

/** `parentAt` as a scalar: the parent row in force at @at, else the instance's first one. */
const parentRowAt = (id: string, event = false): string =>
  `coalesce((SELECT id FROM parents WHERE host_id = @h AND instance_id = ${id} AND since_ns <= @at${event ? notAfterEvent : ''} ORDER BY since_ns DESC, id DESC LIMIT 1),
            (SELECT id FROM parents WHERE host_id = @h AND instance_id = ${id} ORDER BY since_ns, id LIMIT 1))`;

/** One statement for a whole ancestry chain: the SQLite store's chainSql, every row of host @h. */
function chainSql(lineage: 'parent' | 'creator', event = false): string {
  const chain =
    lineage === 'parent'
      ? `chain(n, id, pr) AS (
           SELECT 0, @self, ${parentRowAt('@self', event)}
           UNION ALL
           SELECT c.n + 1, p.parent_id, ${parentRowAt('p.parent_id', event)}
           FROM chain c JOIN parents p ON p.host_id = @h AND p.id = c.pr JOIN instances up ON up.host_id = @h AND up.id = p.parent_id
           WHERE c.n < 255 AND p.ppid <> 0 AND up.start_ns <= @at AND (up.end_ns IS NULL OR up.end_ns > @at))`
      : `chain(n, id, pr) AS (
           SELECT 0, @self, NULL::bigint
           UNION ALL
           SELECT c.n + 1, i.creator_id, NULL::bigint
           FROM chain c JOIN instances i ON i.host_id = @h AND i.id = c.id JOIN instances up ON up.host_id = @h AND up.id = i.creator_id
           WHERE c.n < 255)`;
  const pr = lineage === 'parent' ? 'c.pr' : parentRowAt('c.id', event);
  return `WITH RECURSIVE ${chain} ${linkSelect('c.id', 'chain c', pr, 'c.n', event)}`;
}

/**
 * The columns of a `ChainRow` (see `toChainRow`), as the SQLite store's linkSelect. The
 * parent and image rows are LATERAL lookups by key, one per link (LIMIT 1 on a key lookup
 * changes no answer; it keeps the planner from flattening the subquery back into a join):
 * as plain joins on `p.id = <subquery>` the planner, misjudging how many links `live`
 * yields, hashed the host's whole `parents` (tree --at on 1M instances: 858 ms at p50 in
 * the bench's fleet section).
 */
function linkSelect(idExpr: string, from: string, parentRowId: string, depth = '0', event = false): string {
  return `SELECT ${depth}, i.id, i.host_id, i.pid, i.start_ns, i.start_known, i.end_ns, i.end_certainty, i.end_reason, i.exit_code, i.exit_signal, i.creator_pid, i.creator_id,
           p.instance_id, p.since_ns, p.ppid, p.parent_id, p.kind,
           im.instance_id, im.since_ns, im.kind, im.exe, im.argv, im.argv_truncated, im.comm, im.cwd, im.uid, im.euid, im.gid, im.auid, im."user", im.euser,
           ih.instance_id, ih.since_ns, ih.kind, ih.exe, ih.argv, ih.argv_truncated, ih.comm, ih.cwd, ih.uid, ih.euid, ih.gid, ih.auid, ih."user", ih.euser
    FROM ${from} JOIN instances i ON i.host_id = @h AND i.id = ${idExpr}
    LEFT JOIN LATERAL (SELECT * FROM parents WHERE host_id = @h AND id = ${parentRowId} LIMIT 1) p ON true
    LEFT JOIN LATERAL (SELECT * FROM images WHERE host_id = @h AND id = (SELECT id FROM images WHERE host_id = @h AND instance_id = i.id AND since_ns <= @at${event ? notAfterEvent : ''} ORDER BY since_ns DESC, id DESC LIMIT 1) LIMIT 1) im ON true
    LEFT JOIN LATERAL (SELECT * FROM images WHERE im.id IS NULL AND host_id = @h AND id = (SELECT id FROM images WHERE host_id = @h AND instance_id = i.creator_id AND since_ns <= i.start_ns${execAfterFork} ORDER BY since_ns DESC, id DESC LIMIT 1) LIMIT 1) ih ON true`;
}

/** `min`/`max` of start_ns of host @h and of its loss records: one index seek per lifetime class. */
function startBound(fn: 'min' | 'max'): string {
  const perClass = Array.from({ length: 14 }, (_, k) => `SELECT (SELECT ${fn}(i.start_ns) FROM instances i WHERE i.host_id = @h AND i.lifetime_class = ${k}) AS x`);
  return `SELECT ${fn}(x) AS x FROM (${perClass.join(' UNION ALL ')} UNION ALL SELECT (SELECT ${fn}(at_ns) FROM losses WHERE host_id = @h)) t`;
}

/** Ids bound as one list per statement: bounded so one statement stays short. */
const IDS_PER_STATEMENT = 1000;

/**
 * Classes 1..13: an int64 ns lifetime is below 9.3e12 ms, 13 digits at most. Class 13's
 * 10^13 ms is beyond bigint: clamped to the largest one (no lifetime is longer).
 */
const INT64_MAX = 2n ** 63n - 1n;
export const LIFETIME_SPANS = Array.from({ length: 13 }, (_, i) => {
  const span = 10n ** BigInt(i + 1) * 1_000_000n;
  return { k: i + 1, span: span > INT64_MAX ? INT64_MAX : span };
});

/**
 * `live(id)`: instances of host @h alive at some point of [@from, @to], as the SQLite
 * store's: per lifetime class k one range of start_ns over [@from - 10^k ms, @to], then the
 * open ones. One branch per class with its span written out: joined to a VALUES list
 * instead, PostgreSQL hashed it against a scan of every instance of the host (2 s at 1M
 * instances instead of milliseconds).
 */
function liveIdsCte(endOp: '>' | '>='): string {
  const perClass = LIFETIME_SPANS.map(
    ({ k, span }) => `SELECT i.id FROM instances i WHERE i.host_id = @h AND i.lifetime_class = ${k} AND i.start_ns BETWEEN @from - ${span}::bigint AND @to AND i.end_ns ${endOp} @from`,
  );
  return `live(id) AS (
      ${perClass.join('\n      UNION ALL ')}
      UNION ALL
      SELECT o.id FROM instances o WHERE o.host_id = @h AND o.lifetime_class = 0 AND o.start_ns <= @to)`;
}
