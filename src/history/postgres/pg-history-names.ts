import type pg from 'pg';

/** Host and source names, read once at open (as the SQLite store does). */
export class HistoryNames {
  constructor(
    readonly hostIds: Map<string, number>,
    readonly hostNames: Map<number, string>,
    readonly hostsWithData: string[],
    readonly files: Map<number, string>,
  ) {}

  static async load(client: pg.Client): Promise<HistoryNames> {
    const { rows } = await client.query(`SELECT 'h' AS t, id, name,
        EXISTS (SELECT 1 FROM instances i WHERE i.host_id = hosts.id) AS used FROM hosts
      UNION ALL SELECT 's', id, path, false FROM sources`);
    const hostIds = new Map<string, number>();
    const hostNames = new Map<number, string>();
    const used: string[] = [];
    const files = new Map<number, string>();
    for (const r of rows as { t: string; id: string | number; name: string; used: boolean }[]) {
      if (r.t === 's') {
        files.set(Number(r.id), r.name);
        continue;
      }
      hostIds.set(r.name, Number(r.id));
      hostNames.set(Number(r.id), r.name);
      if (r.used) used.push(r.name);
    }
    // Byte order, as SQLite's ORDER BY name (not the server's collation).
    used.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return new HistoryNames(hostIds, hostNames, used, files);
  }
}
