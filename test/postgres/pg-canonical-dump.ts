import pg from 'pg';

/**
 * A PostgreSQL history as comparable data, in exactly the format of
 * test/ingest/canonical-dump.ts (SQLite): instances keyed by (host, pid, start) instead of
 * row ids, evidence by source path, everything sorted; booleans printed as SQLite stores
 * them (1/0). Equal dumps: the same history, whatever the backend and the ids.
 */
export async function pgCanonicalDump(url: string): Promise<Record<string, string[]>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const all = async (sql: string): Promise<Record<string, unknown>[]> => (await client.query(sql)).rows;
    const hosts = new Map((await all('SELECT id, name FROM hosts')).map((r) => [String(r.id), String(r.name)]));
    // Source ids are unique in the whole database (per-host id ranges): evidence of a host
    // may name a source registered under the ingest's default host.
    const paths = new Map((await all('SELECT id, path FROM sources')).map((r) => [String(r.id), String(r.path)]));
    const keys = new Map<string, string>();
    for (const r of await all('SELECT id, host_id, pid, start_ns FROM instances')) keys.set(String(r.id), `${hosts.get(String(r.host_id))}/${r.pid}/${r.start_ns}`);
    const v = (x: unknown): string => (x === null || x === undefined ? '' : typeof x === 'boolean' ? (x ? '1' : '0') : String(x));
    const key = (x: unknown): string => (x === null ? '' : (keys.get(String(x)) ?? ''));
    const ev = (r: Record<string, unknown>, prefix = ''): string =>
      `${paths.get(String(r[`${prefix}src`])) ?? '-'}:${r[`${prefix}off`] ?? '-'}:${r[`${prefix}line`] ?? '-'}:${r[`${prefix}rec`] ?? '-'}`;
    const rows = async (sql: string, f: (r: Record<string, unknown>) => string): Promise<string[]> => (await all(sql)).map(f).sort();
    return {
      instances: await rows('SELECT * FROM instances', (r) =>
        [key(r.id), v(r.start_known), v(r.end_ns), v(r.end_certainty), v(r.end_reason), v(r.exit_code), v(r.exit_signal), v(r.creator_pid), key(r.creator_id), ev(r, 'start_'), ev(r, 'end_')].join('|'),
      ),
      parents: await rows('SELECT * FROM parents', (r) => [key(r.instance_id), v(r.since_ns), v(r.ppid), key(r.parent_id), v(r.kind), ev(r)].join('|')),
      images: await rows('SELECT * FROM images', (r) =>
        [key(r.instance_id), v(r.since_ns), v(r.kind), v(r.exe), v(r.argv), v(r.argv_truncated), v(r.comm), v(r.cwd), v(r.uid), v(r.euid), v(r.gid), v(r.auid), v(r.user), v(r.euser), ev(r)].join('|'),
      ),
      losses: await rows('SELECT * FROM losses', (r) => [hosts.get(String(r.host_id)), v(r.at_ns), v(r.count), v(r.reason), ev(r)].join('|')),
    };
  } finally {
    await client.end();
  }
}
