import type { HistoryRecordsReader, InstanceCursor, TimeWindow } from '../history-records.js';
import type { ImageRow, InstanceRow, ParentRow } from '../history-types.js';
import type { OpenedHistoryRecords } from '../open-history-records.js';
import { toImage, toInstance, toParent } from '../row-mappers.js';
import { connectPg, pgConfig, pgWhere } from './pg-connect.js';
import { HistoryNames } from './pg-history-names.js';
import { LIFETIME_SPANS } from './pg-history-store.js';
import { hostOfId } from './pg-id-ranges.js';
import { PgQueryQueue, type Params } from './pg-query-queue.js';
import { checkReadableSchema } from './pg-schema.js';

type Raw = Record<string, unknown>;

/** Int64 bounds of an open window side (times are ns since the epoch, never negative). */
const OPEN_FROM_NS = 0n;
const OPEN_TO_NS = (1n << 63n) - 1n;

/**
 * A PostgreSQL history for bulk reads (export): one connection; `read` is one REPEATABLE
 * READ READ ONLY transaction, so an export taken while ingesters commit describes one moment.
 */
export async function openPgHistoryRecords(url: string, env: NodeJS.ProcessEnv = process.env): Promise<OpenedHistoryRecords> {
  const where = pgWhere(url);
  return connectPg(pgConfig(url, env), where, async (client) => {
    await checkReadableSchema(client, where);
    const queue = new PgQueryQueue(client);
    const reader = new PgHistoryRecords(queue, await HistoryNames.load(client));
    return {
      reader,
      async read(fn) {
        await queue.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        try {
          return await fn(reader);
        } finally {
          await queue.query('COMMIT').catch(() => undefined);
        }
      },
      close: () => client.end().catch(() => undefined),
    };
  });
}

/**
 * HistoryRecordsReader on PostgreSQL: the SQLite reader's statements (the reference) with the
 * host id first, as every index of schema/postgres. A page in start order is the first
 * `limit` of each lifetime class (one index range each), merged and cut.
 */
class PgHistoryRecords implements HistoryRecordsReader {
  private readonly fileOf = (id: number): string | undefined => this.names.files.get(id);

  constructor(
    private readonly queue: PgQueryQueue,
    private readonly names: HistoryNames,
  ) {}

  private all(sql: string, params: Params): Promise<Raw[]> {
    return this.queue.rows(sql, params);
  }

  private inst(r: Raw): InstanceRow {
    return toInstance(r, this.names.hostNames.get(Number(r.host_id)) ?? '', this.fileOf);
  }

  async hosts(): Promise<string[]> {
    return [...this.names.hostsWithData];
  }

  async instancesByStart(host: string, window: TimeWindow, after: InstanceCursor | undefined, limit: number): Promise<InstanceRow[]> {
    const h = this.names.hostIds.get(host);
    if (h === undefined) return [];
    const rows = await this.all(BY_START_SQL, {
      h,
      from: window.fromNs ?? OPEN_FROM_NS,
      to: window.toNs ?? OPEN_TO_NS,
      as: after?.startNs ?? -1n,
      aid: after?.id ?? -1,
      n: limit,
    });
    return rows.map((r) => this.inst(r));
  }

  async parentsOf(instanceIds: readonly number[]): Promise<ParentRow[]> {
    if (instanceIds.length === 0) return [];
    const rows = await this.all(`SELECT * FROM parents WHERE ${BY_IDS('instance_id')} ORDER BY instance_id, since_ns, id`, idParams(instanceIds));
    return rows.map((r) => toParent(r, this.fileOf));
  }

  async imagesOf(instanceIds: readonly number[]): Promise<ImageRow[]> {
    if (instanceIds.length === 0) return [];
    const rows = await this.all(`SELECT * FROM images WHERE ${BY_IDS('instance_id')} ORDER BY instance_id, since_ns, id`, idParams(instanceIds));
    return rows.map((r) => toImage(r, this.fileOf));
  }

  async instancesById(instanceIds: readonly number[]): Promise<InstanceRow[]> {
    if (instanceIds.length === 0) return [];
    return (await this.all(`SELECT * FROM instances WHERE ${BY_IDS('id')}`, idParams(instanceIds))).map((r) => this.inst(r));
  }
}

/** Ids as two comma lists (their hosts, themselves): `named` takes scalars only. */
function idParams(ids: readonly number[]): Params {
  return { hs: [...new Set(ids.map(hostOfId))].join(','), ids: ids.join(',') };
}

/** host_id first, as every key: one index seek per id, in its host's partition or shard. */
const BY_IDS = (column: string): string => `host_id = ANY(string_to_array(@hs, ',')::bigint[]) AND ${column} = ANY(string_to_array(@ids, ',')::bigint[])`;

/** After the cursor: later start, or the same start and a higher id. */
const AFTER_CURSOR = 'i.start_ns >= @as AND (i.start_ns > @as OR i.id > @aid)';

/**
 * Per class k (lifetime < 10^k ms), an instance overlapping [from, to] started within
 * [from - 10^k ms, to]: the first @n of each class's index range, then the first @n of
 * those. Class 0 (no end yet) is open-ended: start <= to.
 */
const BY_START_SQL = (() => {
  const perClass = [
    `(SELECT i.id, i.start_ns FROM instances i WHERE i.host_id = @h AND i.lifetime_class = 0 AND i.start_ns <= @to AND ${AFTER_CURSOR} ORDER BY i.start_ns, i.id LIMIT @n)`,
    ...LIFETIME_SPANS.map(
      ({ k, span }) =>
        `(SELECT i.id, i.start_ns FROM instances i WHERE i.host_id = @h AND i.lifetime_class = ${k} AND i.start_ns BETWEEN @from - ${span}::bigint AND @to AND i.end_ns >= @from AND ${AFTER_CURSOR} ORDER BY i.start_ns, i.id LIMIT @n)`,
    ),
  ];
  return `SELECT i.* FROM (SELECT id, start_ns FROM (${perClass.join(' UNION ALL ')}) u ORDER BY start_ns, id LIMIT @n) page
    JOIN instances i ON i.host_id = @h AND i.id = page.id ORDER BY i.start_ns, i.id`;
})();
