import type pg from 'pg';
import type { SourceDigest } from '../history-store.js';

/** Host and source names, read once at open (as the SQLite store does). */
export class HistoryNames {
  constructor(
    readonly hostIds: Map<string, number>,
    readonly hostNames: Map<number, string>,
    readonly hostsWithData: string[],
    readonly files: Map<number, string>,
    /** Each source's stored content hash, by source id (absent: not hashed). */
    readonly digests: Map<number, SourceDigest> = new Map(),
  ) {}

  static async load(client: pg.Client): Promise<HistoryNames> {
    const { rows } = await HistoryNames.query(client);
    const hostIds = new Map<string, number>();
    const hostNames = new Map<number, string>();
    const used: string[] = [];
    const files = new Map<number, string>();
    const digests = new Map<number, SourceDigest>();
    for (const r of rows as { t: string; id: string | number; name: string; used: boolean; content_sha256: string | null; content_bytes: string | number | null }[]) {
      if (r.t === 's') {
        files.set(Number(r.id), r.name);
        if (r.content_sha256 !== null && r.content_bytes !== null) digests.set(Number(r.id), { sha256: r.content_sha256, bytes: Number(r.content_bytes) });
        continue;
      }
      hostIds.set(r.name, Number(r.id));
      hostNames.set(Number(r.id), r.name);
      if (r.used) used.push(r.name);
    }
    // Byte order, as SQLite's ORDER BY name (not the server's collation).
    used.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return new HistoryNames(hostIds, hostNames, used, files, digests);
  }

  /**
   * Hosts and sources in one statement, with each source's content hash; a history from
   * before schema 003 (readable, not migrated by a query) has no hash columns: 42703
   * (undefined_column), then the names alone (explain's source check is skipped).
   */
  private static async query(client: pg.Client): Promise<pg.QueryResult> {
    const names = (hash: string) => `SELECT 'h' AS t, id, name,
        EXISTS (SELECT 1 FROM instances i WHERE i.host_id = hosts.id) AS used, NULL::text AS content_sha256, NULL::bigint AS content_bytes FROM hosts
      UNION ALL SELECT 's', id, path, false, ${hash} FROM sources`;
    try {
      return await client.query(names('content_sha256, content_bytes'));
    } catch (error) {
      if ((error as { code?: string }).code !== '42703') throw error;
      return client.query(names('NULL, NULL'));
    }
  }
}
