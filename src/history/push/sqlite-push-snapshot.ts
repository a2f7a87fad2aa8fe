import type { Statement } from 'better-sqlite3';
import { openHistoryDb, type SqliteDatabase } from '../open-history-db.js';
import { WRITER_LOCK_KEY } from '../sqlite-writer-lock.js';

/** A stored row as SQLite holds it (integers as bigint: safeIntegers). */
export type StoredRow = Record<string, unknown>;

/** The per-host tables push ships; `sources` is small and handled whole. */
export type PushTable = 'instances' | 'parents' | 'images' | 'losses';
export const PUSH_TABLES: readonly PushTable[] = ['instances', 'parents', 'images', 'losses'];

export interface SnapshotHost {
  id: number;
  name: string;
}

/** How many ids a batch lookup binds at once (one JSON array parameter). */
const IDS_PER_LOOKUP = 10_000;

/**
 * The rows of a SQLite history exactly as stored, ids included, read in ONE read
 * transaction: an ingest committing into the file meanwhile (WAL) is not seen half-way.
 * Not the query port (HistoryRecordsReader): that one answers investigators, with evidence
 * as file paths and parent/image rows without their ids; a copy that must stay idempotent
 * needs the stored ids (sources.id behind every evidence column, the row ids behind
 * every reference), so it reads the tables as the SQLite writer wrote them.
 */
export class SqlitePushSnapshot {
  readonly hosts: SnapshotHost[];
  /** Every registered source (tens per host, not millions). */
  readonly sources: StoredRow[];
  /** resume_state without the writer lock's holder record (a lock, not history). */
  readonly state: Map<string, string>;
  private readonly statements = new Map<string, Statement>();

  private constructor(private readonly db: SqliteDatabase) {
    db.prepare('BEGIN').run();
    this.hosts = (db.prepare('SELECT id, name FROM hosts ORDER BY id').all() as { id: number; name: string }[]).map((r) => ({ id: Number(r.id), name: String(r.name) }));
    this.sources = db.prepare('SELECT * FROM sources ORDER BY id').safeIntegers(true).all() as StoredRow[];
    this.state = new Map();
    for (const r of db.prepare('SELECT key, value FROM resume_state ORDER BY key').all() as { key: string; value: string }[]) {
      if (r.key !== WRITER_LOCK_KEY) this.state.set(r.key, r.value);
    }
  }

  /** Opens `path` read-only and starts the snapshot (a missing or foreign file is a UserError). */
  static open(path: string): SqlitePushSnapshot {
    return new SqlitePushSnapshot(openHistoryDb(path, { readonly: true }));
  }

  private statement(key: string, sql: string): Statement {
    let st = this.statements.get(key);
    if (st === undefined) {
      st = this.db.prepare(sql).safeIntegers(true);
      this.statements.set(key, st);
    }
    return st;
  }

  /** Rows of `host` in `table` with an id above `afterId`, by id (streamed: memory stays flat). */
  rowsAfter(table: PushTable, hostId: number, afterId: number): IterableIterator<StoredRow> {
    return this.statement(`after:${table}`, `${selectOfHost(table)} AND t.id > ? ORDER BY t.id`).iterate(hostId, afterId) as IterableIterator<StoredRow>;
  }

  /** These rows of `table` (missing ids left out), in no particular order. */
  rowsById(table: PushTable, ids: readonly number[]): StoredRow[] {
    const st = this.statement(`byId:${table}`, `SELECT * FROM ${table} WHERE id IN (SELECT value FROM json_each(?))`);
    const out: StoredRow[] = [];
    for (let i = 0; i < ids.length; i += IDS_PER_LOOKUP) out.push(...(st.all(JSON.stringify(ids.slice(i, i + IDS_PER_LOOKUP))) as StoredRow[]));
    return out;
  }

  close(): void {
    if (this.db.inTransaction) this.db.prepare('COMMIT').run();
    this.db.close();
  }
}

/**
 * Rows of one host above an id, walked by id (the rowid range of the new rows): `+host_id`
 * keeps SQLite off the host-first indexes (they would visit every row of the host on each
 * push), CROSS JOIN keeps the new rows outermost. Parents and images belong to their
 * instance's host.
 */
function selectOfHost(table: PushTable): string {
  if (table === 'instances' || table === 'losses') return `SELECT t.* FROM ${table} t WHERE +t.host_id = ?`;
  return `SELECT t.* FROM ${table} t CROSS JOIN instances i ON i.id = t.instance_id WHERE +i.host_id = ?`;
}
