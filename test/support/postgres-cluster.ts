import { execFileSync, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A throwaway PostgreSQL cluster for tests: initdb into a fresh temp dir owned by the
 * cluster user, trust auth, listening on 127.0.0.1 at a free port with its unix socket in
 * that dir. Run as root, the server runs as Debian's `postgres` user (initdb and postgres
 * refuse root), and nothing it reads lives in the checkout (which may be a root-owned 0700
 * directory): only the temp dir and the installed binaries.
 */
export interface PostgresCluster {
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  stop(): void;
}

/** What the suite needs to know when PostgreSQL is not installed. */
const INSTALL_HINT =
  'PostgreSQL server binaries (initdb, pg_ctl) not found: run .ci/run as root (it installs Debian\'s postgresql), or apt-get install postgresql';

/** Test settings: durability is worthless for a throwaway cluster, start-up time is not. */
const SERVER_OPTIONS = [
  'fsync=off',
  'synchronous_commit=off',
  'full_page_writes=off',
  'shared_buffers=32MB',
  'max_connections=60',
  "listen_addresses='127.0.0.1'",
];

/** The directory holding initdb/pg_ctl: PROC_TREE_PG_BIN, PATH, else Debian's newest /usr/lib/postgresql/N/bin. */
export function postgresBinDir(): string {
  const explicit = process.env.PROC_TREE_PG_BIN;
  if (explicit !== undefined && existsSync(join(explicit, 'initdb'))) return explicit;
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir !== '' && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
  const debian = '/usr/lib/postgresql';
  const versions = existsSync(debian) ? readdirSync(debian).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (existsSync(join(debian, v, 'bin', 'initdb'))) return join(debian, v, 'bin');
  throw new Error(INSTALL_HINT);
}

/** uid/gid to run the server as: ourselves, or `postgres` when we are root. */
function clusterUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  if (line === undefined) throw new Error(`running as root and there is no 'postgres' user to run the test cluster as: ${INSTALL_HINT}`);
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** A port nobody listens on now (the kernel picks it; the server binds it right after). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function run(bin: string, args: string[], options: SpawnSyncOptions, what: string): void {
  const r = spawnSync(bin, args, { ...options, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`${what} failed (${r.error?.message ?? `exit ${r.status}`}): ${String(r.stderr).trim()}`);
}

/** initdb once into a template data dir: copying it is ~5x faster than a second initdb. */
export function initTemplate(): { dir: string; dataDir: string } {
  const bin = postgresBinDir();
  const user = clusterUser();
  const dir = mkdtempSync(join(tmpdir(), 'proc-tree-pg-'));
  if (user !== undefined) chownSync(dir, user.uid, user.gid);
  const dataDir = join(dir, 'data');
  run(
    join(bin, 'initdb'),
    ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'],
    { cwd: dir, ...(user ?? {}), env: { ...process.env, LC_ALL: 'C' } },
    'initdb of the test cluster',
  );
  return { dir, dataDir };
}

/** Starts a cluster on a copy of `templateData` (or on it, `copy` false). */
export async function startCluster(templateData: string, copy = true): Promise<PostgresCluster> {
  const bin = postgresBinDir();
  const user = clusterUser();
  const dir = copy ? mkdtempSync(join(tmpdir(), 'proc-tree-pg-')) : join(templateData, '..');
  const dataDir = join(dir, 'data');
  if (copy) {
    cpSync(templateData, dataDir, { recursive: true });
    if (user !== undefined) execFileSync('chown', ['-R', `${user.uid}:${user.gid}`, dir]);
    chmodSync(dataDir, 0o700);
  }
  const options = { cwd: dir, ...(user ?? {}), env: { ...process.env, LC_ALL: 'C' } };
  let port = 0;
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    const serverOptions = [`-p ${port}`, `-k ${dir}`, ...SERVER_OPTIONS.map((o) => `-c ${o}`)].join(' ');
    try {
      run(join(bin, 'pg_ctl'), ['-D', dataDir, '-l', join(dir, 'server.log'), '-w', '-t', '60', '-o', serverOptions, 'start'], options, 'starting the test cluster');
      break;
    } catch (error) {
      // Another process may have taken the port between freePort() and the bind.
      if (attempt >= 3) throw new Error(`${(error as Error).message}\n${tail(join(dir, 'server.log'))}`);
    }
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dir,
    stop(): void {
      spawnSync(join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop'], { ...options, stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function tail(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').slice(-15).join('\n') : '';
}
