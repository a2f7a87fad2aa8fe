import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { canonicalDump } from '../../test/ingest/canonical-dump.js';
import { measureCommand, type CommandRun } from '../harness/measure-command.js';
import type { ProcTreeCli } from '../harness/proc-tree-cli.js';

/** The one line of an ingest that ran out of room (src/ingest/writer-lock-errors.ts, EXIT_IOERR). */
export const DISK_FULL_LINE = /^proc-tree ingest: [^\n]*h\.db[^\n]*the disk is full \([^\n]*free some space, then run the same command again[^\n]*\n$/;
/** A query of a WAL database whose -shm cannot be made on the full disk: it says so in one line. */
export const CANNOT_READ_LINE = /^proc-tree \w+: cannot read [^\n]*free some space[^\n]*\n$/;
/** Size the tmpfs is grown to before the re-run: room for the whole history. */
export const FREED_SIZE = '8m';

/** A real tmpfs of a given size (mount needs root); grown with remount, unmounted by remove(). */
export class Tmpfs {
  constructor(
    readonly dir: string,
    kib: number,
  ) {
    mkdirSync(dir, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${kib}k`, 'tmpfs', dir]);
  }

  grow(size: string): void {
    execFileSync('mount', ['-o', `remount,size=${size}`, this.dir]);
  }

  remove(): void {
    execFileSync('umount', [this.dir]);
  }
}

/** The first pid stored, undefined when none, 'unreadable' when SQLite cannot read the file on this disk. */
export function firstPid(db: string): number | 'unreadable' | undefined {
  let reader: Database.Database | undefined;
  try {
    reader = new Database(db, { readonly: true });
    return (reader.prepare('SELECT pid FROM instances ORDER BY id LIMIT 1').get() as { pid: number } | undefined)?.pid;
  } catch (error) {
    if (String((error as { code?: unknown }).code).startsWith('SQLITE_IOERR')) return 'unreadable';
    // The file was made but the disk filled before the schema was: nothing stored.
    if (/no such table/.test(String(error))) return undefined;
    throw error;
  } finally {
    reader?.close();
  }
}

/** One ingest into a tmpfs of `kib` KiB, a query of what it left, and a re-run once the tmpfs has room. */
export interface DiskFullTrial {
  kib: number;
  /** The ingest on the small tmpfs. */
  first: CommandRun;
  /** What the database held after it: the first pid, none, or unreadable there. */
  stored: number | 'unreadable' | undefined;
  /** timeline of that pid (find when none was stored). */
  query: CommandRun;
  /** The same ingest after the tmpfs was grown to FREED_SIZE. */
  again: CommandRun;
  /** The re-run's canonical dump equals the uninterrupted one. */
  dumpEqual: boolean;
}

/**
 * Mounts a tmpfs of `kib` KiB under workDir, ingests `inputs` into h.db there
 * (--commit-every 300: commits mid-ingest), queries it, grows the tmpfs, ingests again,
 * and compares the dump with `expectedDump` (JSON of an uninterrupted ingest's).
 */
export async function diskFullTrial(cli: ProcTreeCli, workDir: string, inputs: string[], kib: number, expectedDump: string): Promise<DiskFullTrial> {
  const fs = new Tmpfs(join(workDir, `tmpfs-${kib}`), kib);
  try {
    const db = join(fs.dir, 'h.db');
    const run = (args: string[], captureStdout = false): Promise<CommandRun> => measureCommand(cli.argv(args), { cwd: cli.repoRoot, captureStdout });
    const first = await run(['ingest', '--commit-every', '300', '--db', db, ...inputs]);
    const stored = firstPid(db);
    const query = typeof stored === 'number' ? await run(['timeline', String(stored), '--db', db], true) : await run(['find', '--cmd', 'sh', '--db', db], true);
    fs.grow(FREED_SIZE);
    const again = await run(['ingest', '--db', db, ...inputs]);
    const dumpEqual = again.exitCode === 0 && JSON.stringify(canonicalDump(db)) === expectedDump;
    return { kib, first, stored, query, again, dumpEqual };
  } finally {
    fs.remove();
  }
}

/** Whether the query after a disk-full ingest behaved: answered for what was stored, or said in one line it cannot read. */
export function queryBehaved(t: DiskFullTrial): boolean {
  if (/internal error|not a SQLite|malformed|    at /.test(t.query.stderrTail)) return false;
  if (t.stored === 'unreadable') return t.query.exitCode === 1 && CANNOT_READ_LINE.test(t.query.stderrTail);
  if (t.stored === undefined) return t.query.exitCode === 0 || (t.query.exitCode === 1 && /^proc-tree \w+: [^\n]+\n$/.test(t.query.stderrTail));
  return t.query.exitCode === 0 && t.query.stdout.includes(`pid ${t.stored}:`);
}
