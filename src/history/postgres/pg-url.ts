/** A --db value (or PROC_TREE_DB) naming a PostgreSQL database rather than a SQLite file. */
export function isPostgresUrl(spec: string): boolean {
  return /^postgres(ql)?:\/\//i.test(spec);
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

/**
 * libpq's PG* variables of `env` as a postgres:// URL (PGPASSWORD left out: `pg` reads it
 * from the environment itself), for writers that take one URL. A PGHOST starting with '/'
 * is a socket directory, passed as ?host=.
 */
export function urlFromPgEnv(env: NodeJS.ProcessEnv): string {
  const value = (name: string): string | undefined => (env[name] === undefined || env[name] === '' ? undefined : env[name]);
  const host = value('PGHOST');
  const port = value('PGPORT');
  const user = value('PGUSER');
  const socket = host?.startsWith('/') === true;
  const query = new URLSearchParams();
  if (socket) query.set('host', host!);
  if (socket && port !== undefined) query.set('port', port);
  const authority = `${user !== undefined ? `${encodeURIComponent(user)}@` : ''}${!socket && host !== undefined ? host : ''}${!socket && port !== undefined ? `:${port}` : ''}`;
  const q = query.toString();
  return `postgres://${authority}/${encodeURIComponent(value('PGDATABASE') ?? '')}${q === '' ? '' : `?${q}`}`;
}
