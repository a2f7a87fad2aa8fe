import { createHash } from 'node:crypto';
import type { SqliteDatabase } from '../history/open-history-db.js';
import type BetterSqlite3 from 'better-sqlite3';
import type { ContentDigest } from './content-hash.js';
import { evidenceOfRow, recordColumnValues, type SourceEvidence } from './source-evidence.js';

/**
 * Which inputs were ingested before, and how far. A source is recognised by the hash of
 * its first bytes (so a rotated, renamed file is still itself; a file that grew keeps its
 * head) within one host, and carries the committed resume position.
 */
export interface SourceKey {
  hostId: number;
  format: string;
  /** sha256 hex of the first `headBytes` bytes. */
  headSha256: string;
  headBytes: number;
  /** The head itself when available, to match sources recorded while the file was shorter. */
  head?: Buffer;
}

export interface SourceRow {
  id: number;
  path: string;
  committedOffset: number;
  committedLine?: number;
  complete: boolean;
  size?: number;
  headBytes: number;
  /** When an ingest last wrote to it (ns since the epoch): for "same content as ..." notes. */
  lastIngestNs?: bigint;
  /** SHA-256 of its content 0..content.bytes as ingested (undefined: ingested before it was kept). */
  content?: ContentDigest;
}

/** What a commit records of a source besides its position. */
export interface SourceHeld {
  /** Its span, last record and event count (undefined: no audit records, e.g. a connector capture). */
  records?: SourceEvidence | undefined;
  /** SHA-256 of its content up to the committed offset (undefined: not known). */
  content?: ContentDigest | undefined;
}

export interface SourceInfo {
  path: string;
  dev?: number;
  inode?: number;
  size?: number;
}

/** Full identity heads are this long (sources/input-identity.ts IDENTITY_HEAD_BYTES). */
export const FULL_HEAD_BYTES = 4096;

/**
 * The registry as the ingest uses it (synchronous: looked up while inputs are opened,
 * committed inside the transaction holding the rows). SQLite: SqliteSourceRegistry below;
 * PostgreSQL: postgres/pg-source-registry.ts (rows held in memory, written at commit).
 */
export interface SourceRegistry {
  find(key: SourceKey): SourceRow | undefined;
  create(key: SourceKey, info: SourceInfo, nowNs: bigint): SourceRow;
  /** Where the source stands, and what it holds; call inside the transaction that holds its data. */
  commit(id: number, offset: number, line: number | undefined, complete: boolean, key: SourceKey, info: SourceInfo, nowNs: bigint, held: SourceHeld): void;
  /** What the history held of the host's sources when this run began (read once, then kept; one row per source, no scan). */
  evidence(hostId: number): SourceEvidence[];
}

export class SqliteSourceRegistry implements SourceRegistry {
  /** Prepared once: preparing per call was 0.6 s of a 10,000-entry zip's ingest. */
  private readonly statements = new Map<string, BetterSqlite3.Statement<unknown[]>>();
  private readonly evidenceOf = new Map<number, SourceEvidence[]>();

  constructor(private readonly db: SqliteDatabase) {}

  /**
   * `safeIntegers`: integers read as bigint, for rows with ns times (last_ingest_ns ~1.8e18
   * is past 2^53: read as a number it printed as 22:03:34.886000128Z); toRow converts.
   */
  private prepared(sql: string, safeIntegers = false): BetterSqlite3.Statement<unknown[]> {
    let st = this.statements.get(sql);
    if (st === undefined) this.statements.set(sql, (st = this.db.prepare(sql).safeIntegers(safeIntegers)));
    return st;
  }

  find(key: SourceKey): SourceRow | undefined {
    const exact = this
      .prepared('SELECT * FROM sources WHERE host_id = ? AND format = ? AND head_sha256 = ? AND head_bytes = ? ORDER BY id LIMIT 1', true)
      .get(key.hostId, key.format, key.headSha256, key.headBytes) as Record<string, unknown> | undefined;
    if (exact !== undefined) return toRow(exact);
    if (key.head === undefined) return undefined;
    // Recorded when the file was shorter than its identity head: compare that prefix.
    const shorter = this
      .prepared('SELECT * FROM sources WHERE host_id = ? AND format = ? AND head_bytes < ? ORDER BY id', true)
      .all(key.hostId, key.format, key.headBytes) as Record<string, unknown>[];
    for (const r of shorter) {
      const n = Number(r.head_bytes);
      if (n === 0) continue;
      if (sha256(key.head.subarray(0, n)) === r.head_sha256) return toRow(r);
    }
    return undefined;
  }

  create(key: SourceKey, info: SourceInfo, nowNs: bigint): SourceRow {
    const id = Number(
      this
        .prepared(
          `INSERT INTO sources(host_id, format, path, dev, inode, size, head_sha256, head_bytes, first_ingest_ns, last_ingest_ns, record_count)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)`,
        )
        .run(key.hostId, key.format, info.path, info.dev ?? null, info.inode ?? null, info.size ?? null, key.headSha256, key.headBytes, nowNs, nowNs)
        .lastInsertRowid,
    );
    return { id, path: info.path, committedOffset: 0, complete: false, headBytes: key.headBytes };
  }

  /** Where the source stands; call inside the transaction that holds its data. */
  commit(id: number, offset: number, line: number | undefined, complete: boolean, key: SourceKey, info: SourceInfo, nowNs: bigint, held: SourceHeld): void {
    this
      .prepared(
        `UPDATE sources SET committed_offset = ?, committed_line = ?, complete = ?, head_sha256 = ?, head_bytes = ?, size = ?, dev = ?, inode = ?, last_ingest_ns = ?,
           first_rec = ?, last_rec = ?, tail_rec = ?, tail_off = ?, record_count = ?, content_sha256 = ?, content_bytes = ?
         WHERE id = ?`,
      )
      .run(
        offset,
        line ?? null,
        complete ? 1 : 0,
        key.headSha256,
        key.headBytes,
        info.size ?? null,
        info.dev ?? null,
        info.inode ?? null,
        nowNs,
        ...recordColumnValues(held.records),
        held.content?.sha256 ?? null,
        held.content?.bytes ?? null,
        id,
      );
  }


  evidence(hostId: number): SourceEvidence[] {
    let known = this.evidenceOf.get(hostId);
    if (known !== undefined) return known;
    const rows = this.db.prepare('SELECT id, path, first_rec, last_rec, tail_rec, tail_off, record_count FROM sources WHERE host_id = ?').all(hostId) as Record<string, unknown>[];
    known = rows.map((r) => evidenceOfRow(Number(r.id), String(r.path), r));
    this.evidenceOf.set(hostId, known);
    return known;
  }
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

function toRow(r: Record<string, unknown>): SourceRow {
  const row: SourceRow = {
    id: Number(r.id),
    path: String(r.path),
    committedOffset: Number(r.committed_offset),
    complete: Number(r.complete) === 1,
    headBytes: Number(r.head_bytes),
  };
  if (r.committed_line !== null) row.committedLine = Number(r.committed_line);
  if (r.size !== null) row.size = Number(r.size);
  if (typeof r.last_ingest_ns === 'number' || typeof r.last_ingest_ns === 'bigint') row.lastIngestNs = BigInt(r.last_ingest_ns);
  if (typeof r.content_sha256 === 'string' && r.content_bytes !== null && r.content_bytes !== undefined) row.content = { sha256: r.content_sha256, bytes: Number(r.content_bytes) };
  return row;
}
