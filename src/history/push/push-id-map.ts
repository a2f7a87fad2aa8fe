import { UserError } from '../../cli/user-error.js';
import type { CopyValue } from '../postgres/pg-copy.js';
import { HOST_ID_SPAN } from '../postgres/pg-id-ranges.js';
import type { StoredRow } from './sqlite-push-snapshot.js';

/** Columns that name a row of the same host (instances, parents, images, losses, sources). */
const ROW_REFERENCES = new Set(['id', 'instance_id', 'creator_id', 'parent_id']);
/** Columns that name a source (evidence). */
const SOURCE_REFERENCES = new Set(['src', 'start_src', 'end_src']);
/** Columns SQLite stores as 0/1 and PostgreSQL as boolean. */
const BOOLEANS = new Set(['start_known', 'argv_truncated', 'complete']);

/**
 * SQLite ids -> PostgreSQL ids, the same on every push: SQLite row r of a host pushed as
 * PostgreSQL host h becomes h * HOST_ID_SPAN + r, inside h's own id range
 * (pg-id-ranges.ts). A re-push therefore names the same rows again (nothing to remember
 * per row), and a reference (creator, parent, instance, evidence source) maps like the
 * row it names. SQLite ids are unique in the whole file, so two hosts of one file never
 * meet either. A source is mapped with the host it is registered under (an input with
 * node= records of several hosts is registered under the ingest's host only).
 */
export class PushIdMap {
  private readonly sourceHost = new Map<number, number>();

  constructor(
    private readonly pgHostOf: ReadonlyMap<number, number>,
    sources: readonly StoredRow[],
  ) {
    for (const s of sources) this.sourceHost.set(Number(s.id), this.pgHost(Number(s.host_id)));
  }

  pgHost(sqliteHostId: number): number {
    const h = this.pgHostOf.get(sqliteHostId);
    if (h === undefined) throw new Error(`push: SQLite host ${sqliteHostId} has no PostgreSQL host`);
    return h;
  }

  /** The PostgreSQL id of SQLite row `id` of PostgreSQL host `pgHost`. */
  row(pgHost: number, id: number): number {
    if (id < 1 || id >= HOST_ID_SPAN) throw new UserError(`push: SQLite row id ${id} does not fit a PostgreSQL host's id range (1..${HOST_ID_SPAN - 1})`);
    return pgHost * HOST_ID_SPAN + id;
  }

  source(id: number): number {
    const h = this.sourceHost.get(id);
    if (h === undefined) throw new UserError(`push: evidence names source ${id}, which the SQLite history does not register (damaged file?)`);
    return this.row(h, id);
  }

  /** The SQLite id behind a PostgreSQL row id of `pgHost`. */
  static local(pgHost: number, pgId: number): number {
    return pgId - pgHost * HOST_ID_SPAN;
  }

  /**
   * A converter of stored SQLite rows into the values of PostgreSQL `columns` (the PG
   * writer's COPY columns), each column's kind decided once per table, not per row.
   */
  converter(columns: readonly string[]): (r: StoredRow, pgHost: number) => CopyValue[] {
    const plan = columns.map((quoted) => {
      const c = quoted.replaceAll('"', '');
      const kind = c === 'host_id' ? 'host' : ROW_REFERENCES.has(c) ? 'row' : SOURCE_REFERENCES.has(c) ? 'source' : BOOLEANS.has(c) ? 'bool' : 'plain';
      return { c, kind };
    });
    return (r, pgHost) => {
      const out: CopyValue[] = new Array(plan.length);
      for (let i = 0; i < plan.length; i++) {
        const { c, kind } = plan[i]!;
        if (kind === 'host') {
          out[i] = pgHost;
          continue;
        }
        const v = r[c];
        if (v === null || v === undefined) out[i] = null;
        else if (kind === 'plain') out[i] = v as CopyValue;
        else if (kind === 'row') out[i] = this.row(pgHost, Number(v));
        else if (kind === 'source') out[i] = this.source(Number(v));
        else out[i] = Number(v) !== 0;
      }
      return out;
    };
  }
}
