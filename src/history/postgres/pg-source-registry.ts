import type pg from 'pg';
import { sha256, type SourceHeld, type SourceInfo, type SourceKey, type SourceRegistry, type SourceRow } from '../../ingest/source-registry.js';
import { copyRows, type CopyValue } from './pg-copy.js';
import { nextIdAfter } from './pg-id-ranges.js';
import { evidenceOfRow, recordColumnValues, type SourceEvidence } from '../../ingest/source-evidence.js';

/** A registry row as held in memory (the columns of `sources`). */
interface HeldSource {
  hostId: number;
  id: number;
  format: string;
  path: string;
  dev: number | null;
  inode: number | null;
  size: number | null;
  headSha256: string;
  headBytes: number;
  committedOffset: number;
  committedLine: number | null;
  complete: boolean;
  firstIngestNs: bigint;
  lastIngestNs: bigint;
  /** first_rec, last_rec, tail_rec, tail_off, record_count (schema/postgres/002-source-records.sql). */
  records: ReturnType<typeof recordColumnValues>;
  contentSha256: string | null;
  contentBytes: number | null;
}

export const SOURCE_COLUMNS = ['host_id', 'id', 'format', 'path', 'dev', 'inode', 'size', 'head_sha256', 'head_bytes', 'committed_offset', 'committed_line', 'complete', 'first_ingest_ns', 'last_ingest_ns', 'first_rec', 'last_rec', 'tail_rec', 'tail_off', 'record_count', 'content_sha256', 'content_bytes'];

const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/**
 * The source registry of the hosts this writer holds, on PostgreSQL. The ingest asks it
 * synchronously (inputs are opened between batches), so a host's rows are read once when
 * the writer takes the host (a host has tens of sources, not millions) and changes are held
 * until `flush`, inside the commit's transaction, with the rows they describe.
 */
export class PgSourceRegistry implements SourceRegistry {
  private readonly rows: HeldSource[] = [];
  private readonly nextId = new Map<number, number>();
  private readonly created = new Set<HeldSource>();
  private readonly changed = new Set<HeldSource>();
  private readonly evidenceOf = new Map<number, SourceEvidence[]>();

  /** Reads the host's sources (call once per host, under its writer lock). */
  async loadHost(client: pg.Client, hostId: number): Promise<void> {
    const { rows } = await client.query('SELECT * FROM sources WHERE host_id = $1 ORDER BY id', [hostId]);
    for (const r of rows) {
      this.rows.push({
        hostId,
        id: Number(r.id),
        format: String(r.format),
        path: String(r.path),
        dev: numOrNull(r.dev),
        inode: numOrNull(r.inode),
        size: numOrNull(r.size),
        headSha256: String(r.head_sha256),
        headBytes: Number(r.head_bytes),
        committedOffset: Number(r.committed_offset),
        committedLine: numOrNull(r.committed_line),
        complete: r.complete === true,
        firstIngestNs: BigInt(r.first_ingest_ns as string),
        lastIngestNs: BigInt(r.last_ingest_ns as string),
        records: recordColumnValues(evidenceOfRow(Number(r.id), String(r.path), r)),
        contentSha256: typeof r.content_sha256 === 'string' ? r.content_sha256 : null,
        contentBytes: numOrNull(r.content_bytes),
      });
    }
    const max = rows.length === 0 ? null : Number(rows[rows.length - 1]!.id);
    this.nextId.set(hostId, nextIdAfter(hostId, max));
    // One row per source (no scan of the stored evidence: schema/postgres/002-source-records.sql).
    this.evidenceOf.set(
      hostId,
      rows.map((r) => evidenceOfRow(Number(r.id), String(r.path), r)),
    );
  }

  evidence(hostId: number): SourceEvidence[] {
    return this.evidenceOf.get(hostId) ?? [];
  }

  /** Same answers as SqliteSourceRegistry.find (exact head, else a shorter head that is a prefix). */
  find(key: SourceKey): SourceRow | undefined {
    const exact = this.rows.find((r) => r.hostId === key.hostId && r.format === key.format && r.headSha256 === key.headSha256 && r.headBytes === key.headBytes);
    if (exact !== undefined) return toRow(exact);
    if (key.head === undefined) return undefined;
    for (const r of this.rows) {
      if (r.hostId !== key.hostId || r.format !== key.format || r.headBytes >= key.headBytes || r.headBytes === 0) continue;
      if (sha256(key.head.subarray(0, r.headBytes)) === r.headSha256) return toRow(r);
    }
    return undefined;
  }


  create(key: SourceKey, info: SourceInfo, nowNs: bigint): SourceRow {
    const id = this.nextId.get(key.hostId);
    if (id === undefined) throw new Error(`sources of host ${key.hostId} were not loaded before use`);
    this.nextId.set(key.hostId, id + 1);
    const row: HeldSource = {
      hostId: key.hostId,
      id,
      format: key.format,
      path: info.path,
      dev: info.dev ?? null,
      inode: info.inode ?? null,
      size: info.size ?? null,
      headSha256: key.headSha256,
      headBytes: key.headBytes,
      committedOffset: 0,
      committedLine: null,
      complete: false,
      firstIngestNs: nowNs,
      lastIngestNs: nowNs,
      records: [null, null, null, null, 0],
      contentSha256: null,
      contentBytes: null,
    };
    this.rows.push(row);
    this.created.add(row);
    return { id, path: info.path, committedOffset: 0, complete: false, headBytes: key.headBytes };
  }

  commit(id: number, offset: number, line: number | undefined, complete: boolean, key: SourceKey, info: SourceInfo, nowNs: bigint, held: SourceHeld): void {
    const row = this.rows.find((r) => r.id === id);
    if (row === undefined) throw new Error(`source ${id} is not registered`);
    Object.assign(row, {
      committedOffset: offset,
      committedLine: line ?? null,
      complete,
      headSha256: key.headSha256,
      headBytes: key.headBytes,
      size: info.size ?? null,
      dev: info.dev ?? null,
      inode: info.inode ?? null,
      lastIngestNs: nowNs,
      records: recordColumnValues(held.records),
      contentSha256: held.content?.sha256 ?? null,
      contentBytes: held.content?.bytes ?? null,
    });
    if (!this.created.has(row)) this.changed.add(row);
  }

  /** What changed since the last batch, as it is now; `write` stores it inside the caller's transaction. */
  takeBatch(): { write(client: pg.Client): Promise<void> } {
    const created = [...this.created].map(values);
    const changed = [...this.changed].map((r) => [r.hostId, r.id, r.committedOffset, r.committedLine, r.complete, r.headSha256, r.headBytes, r.size, r.dev, r.inode, r.lastIngestNs.toString(), ...r.records, r.contentSha256, r.contentBytes]);
    this.created.clear();
    this.changed.clear();
    return {
      async write(client: pg.Client): Promise<void> {
        if (created.length > 0) await copyRows(client, 'sources', SOURCE_COLUMNS, created);
        for (const v of changed) {
          await client.query(
            `UPDATE sources SET committed_offset = $3, committed_line = $4, complete = $5, head_sha256 = $6, head_bytes = $7, size = $8, dev = $9, inode = $10, last_ingest_ns = $11,
               first_rec = $12, last_rec = $13, tail_rec = $14, tail_off = $15, record_count = $16, content_sha256 = $17, content_bytes = $18
             WHERE host_id = $1 AND id = $2`,
            v,
          );
        }
      },
    };
  }
}

function values(r: HeldSource): CopyValue[] {
  return [r.hostId, r.id, r.format, r.path, r.dev, r.inode, r.size, r.headSha256, r.headBytes, r.committedOffset, r.committedLine, r.complete, r.firstIngestNs, r.lastIngestNs, ...r.records, r.contentSha256, r.contentBytes];
}

function toRow(r: HeldSource): SourceRow {
  const row: SourceRow = { id: r.id, path: r.path, committedOffset: r.committedOffset, complete: r.complete, headBytes: r.headBytes, lastIngestNs: r.lastIngestNs };
  if (r.committedLine !== null) row.committedLine = r.committedLine;
  if (r.size !== null) row.size = r.size;
  if (r.contentSha256 !== null && r.contentBytes !== null) row.content = { sha256: r.contentSha256, bytes: r.contentBytes };
  return row;
}
