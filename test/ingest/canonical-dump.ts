import Database from 'better-sqlite3';

/**
 * A history database as comparable data: instances keyed by (host, pid, start) instead of
 * row ids, evidence by source path instead of source id, everything sorted. Two databases
 * with the same history give equal dumps whatever order rows were written in.
 */
export function canonicalDump(path: string): Record<string, string[]> {
  const db = new Database(path, { readonly: true });
  db.defaultSafeIntegers(true);
  try {
    const hosts = new Map((db.prepare('SELECT id, name FROM hosts').all() as { id: bigint; name: string }[]).map((r) => [r.id, r.name]));
    const paths = new Map((db.prepare('SELECT id, path FROM sources').all() as { id: bigint; path: string }[]).map((r) => [r.id, r.path]));
    const keys = new Map<bigint, string>();
    for (const r of db.prepare('SELECT id, host_id, pid, start_ns FROM instances').all() as Record<string, bigint>[]) {
      keys.set(r.id!, `${hosts.get(r.host_id!)}/${r.pid}/${r.start_ns}`);
    }
    const ev = (r: Record<string, unknown>, prefix = ''): string =>
      `${paths.get(r[`${prefix}src`] as bigint) ?? '-'}:${r[`${prefix}off`] ?? '-'}:${r[`${prefix}line`] ?? '-'}:${r[`${prefix}rec`] ?? '-'}`;
    const rows = (sql: string, f: (r: Record<string, unknown>) => string): string[] => (db.prepare(sql).all() as Record<string, unknown>[]).map(f).sort();
    return {
      instances: rows('SELECT * FROM instances', (r) =>
        [keys.get(r.id as bigint), r.start_known, r.end_ns, r.end_certainty, r.end_reason, r.exit_code, r.exit_signal, r.creator_pid, keys.get(r.creator_id as bigint), ev(r, 'start_'), ev(r, 'end_')].join('|'),
      ),
      parents: rows('SELECT * FROM parents', (r) => [keys.get(r.instance_id as bigint), r.since_ns, r.ppid, keys.get(r.parent_id as bigint), r.kind, ev(r)].join('|')),
      images: rows('SELECT * FROM images', (r) =>
        [keys.get(r.instance_id as bigint), r.since_ns, r.kind, r.exe, r.argv, r.argv_truncated, r.comm, r.cwd, r.uid, r.euid, r.gid, r.auid, r.user, r.euser, ev(r)].join('|'),
      ),
      losses: rows('SELECT * FROM losses', (r) => [hosts.get(r.host_id as bigint), r.at_ns, r.count, r.reason, ev(r)].join('|')),
    };
  } finally {
    db.close();
  }
}
