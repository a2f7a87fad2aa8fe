import { connectPg } from './pg-connect.js';
import pg from 'pg';
import { copyLine, copyRows, type CopyValue } from './pg-copy.js';
import { IMAGE_COLUMNS, INSTANCE_COLUMNS, LOSS_COLUMNS, PARENT_COLUMNS } from './pg-history-writer.js';
import { migratePostgres } from './pg-schema.js';
import { SOURCE_COLUMNS } from './pg-source-registry.js';
import { redactUrl } from './pg-url.js';
import { PgWriterLock } from './pg-writer-lock.js';

export type PgPushTable = 'instances' | 'parents' | 'images' | 'losses' | 'sources';

/** The PG writer's COPY columns per table: push writes rows exactly as an ingest does. */
export const PUSH_COLUMNS: Record<PgPushTable, readonly string[]> = {
  instances: INSTANCE_COLUMNS,
  parents: PARENT_COLUMNS,
  images: IMAGE_COLUMNS,
  losses: LOSS_COLUMNS,
  sources: SOURCE_COLUMNS,
};

/** Rows of earlier pushes that a later ingest into the SQLite file may still change, by id, as COPY lines. */
export interface ChangeCandidates {
  instances: Map<number, string>;
  parents: Map<number, string>;
  sources: Map<number, string>;
}

/**
 * Rows the SQLite writer may still UPDATE once written (sqlite-history-writer.ts): an open
 * instance gets its end, a "seen since" one its fork start (and its first parent row
 * becomes the fork's), an inferred end is replaced by the exit record's, an `orphaned`
 * parent row gets its reaper. Every other row (ended for certain, images, losses) is
 * final once committed.
 */
const MUTABLE_INSTANCE = `(end_ns IS NULL OR NOT start_known OR end_certainty = 'inferred')`;

/** Max ids of each table of a host (null: none), sources included. */
export type MaxIds = Record<PgPushTable, number | null>;

/**
 * The PostgreSQL side of `push`: one connection holding the writer lock of every host it
 * writes (a concurrent ingest of such a host is refused, as a second ingest would be), the
 * reads push compares against, and one transaction for everything it writes.
 */
export class PgPushTarget {
  private readonly lock: PgWriterLock;

  private constructor(
    private readonly client: pg.Client,
    readonly where: string,
    waitS: number | undefined,
  ) {
    this.lock = new PgWriterLock(client, where, waitS);
  }

  static async open(url: string, waitS: number | undefined): Promise<PgPushTarget> {
    const where = redactUrl(url);
    return connectPg({ connectionString: url }, where, async (client) => {
      await migratePostgres(client, where);
      return new PgPushTarget(client, where, waitS);
    });
  }

  /** The host's id, allocated when new, with its writer lock held until close. */
  async takeHost(name: string): Promise<number> {
    return this.lock.takeHost(name);
  }

  async maxIds(hostId: number): Promise<MaxIds> {
    const tables = Object.keys(PUSH_COLUMNS) as PgPushTable[];
    const { rows } = await this.client.query(`SELECT ${tables.map((t) => `(SELECT max(id) FROM ${t} WHERE host_id = $1) AS ${t}`).join(', ')}`, [hostId]);
    const r = rows[0]!;
    const out = {} as MaxIds;
    for (const t of tables) out[t] = r[t] === null ? null : Number(r[t]);
    return out;
  }

  async state(hostId: number): Promise<Map<string, string>> {
    const { rows } = await this.client.query('SELECT key, value FROM resume_state WHERE host_id = $1 ORDER BY key', [hostId]);
    return new Map(rows.map((r) => [String(r.key), String(r.value)]));
  }

  /** Rows an earlier push wrote that may have changed in the SQLite file since. */
  async changeCandidates(hostId: number): Promise<ChangeCandidates> {
    const lines = async (sql: string): Promise<Map<number, string>> => {
      const { rows } = await this.client.query({ text: sql, values: [hostId], rowMode: 'array' });
      return new Map((rows as CopyValue[][]).map((v) => [Number(v[1]), copyLine(v)]));
    };
    return {
      instances: await lines(`SELECT ${INSTANCE_COLUMNS.join(', ')} FROM instances WHERE host_id = $1 AND ${MUTABLE_INSTANCE}`),
      parents: await lines(
        `SELECT ${PARENT_COLUMNS.map((c) => `p.${c}`).join(', ')} FROM parents p WHERE p.host_id = $1 AND p.kind = 'orphaned'
         UNION
         SELECT ${PARENT_COLUMNS.map((c) => `p.${c}`).join(', ')} FROM instances i JOIN parents p ON p.host_id = i.host_id AND p.instance_id = i.id
         WHERE i.host_id = $1 AND ${MUTABLE_INSTANCE.replace(/(end_ns|start_known|end_certainty)/g, 'i.$1')}`,
      ),
      sources: await lines(`SELECT ${SOURCE_COLUMNS.join(', ')} FROM sources WHERE host_id = $1`),
    };
  }

  async begin(): Promise<void> {
    await this.client.query('BEGIN');
  }

  async commit(): Promise<void> {
    await this.client.query('COMMIT');
  }

  async rollback(): Promise<void> {
    await this.client.query('ROLLBACK').catch(() => undefined);
  }

  /** Removes rows that are written again (changed since the last push). */
  async deleteRows(table: PgPushTable, hostId: number, ids: readonly number[]): Promise<void> {
    if (ids.length > 0) await this.client.query(`DELETE FROM ${table} WHERE host_id = $1 AND id = ANY($2::bigint[])`, [hostId, ids]);
  }

  async copy(table: PgPushTable, rows: Iterable<readonly CopyValue[]>): Promise<void> {
    await copyRows(this.client, table, PUSH_COLUMNS[table], rows);
  }

  /** Replaces the host's resume_state with `state`. */
  async replaceState(hostId: number, state: ReadonlyMap<string, string>): Promise<void> {
    await this.client.query('DELETE FROM resume_state WHERE host_id = $1', [hostId]);
    if (state.size > 0) {
      await this.client.query('INSERT INTO resume_state(host_id, key, value) SELECT $1, k, v FROM unnest($2::text[], $3::text[]) AS u(k, v)', [hostId, [...state.keys()], [...state.values()]]);
    }
  }

  async close(): Promise<void> {
    await this.lock.releaseAll().catch(() => undefined);
    await this.client.end().catch(() => undefined);
  }
}
