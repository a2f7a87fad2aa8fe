import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { UserError } from '../cli/user-error.js';

/**
 * Checks `--db PATH` before SQLite opens it, because SQLite's own message for every one of
 * these mistakes is "unable to open database file". The database and its -wal/-shm files
 * live beside each other, so the directory must be writable too.
 */
export async function checkDbPath(path: string): Promise<void> {
  const info = await stat(path).catch(() => undefined);
  if (info?.isDirectory()) {
    throw new UserError(`--db must be a file path; ${path} is a directory: use ${join(path, 'proc-tree.db')}`);
  }
  if (info !== undefined && !info.isFile()) throw new UserError(`--db must be a regular file; ${path} is not one`);
  const dir = dirname(path);
  let dirInfo;
  try {
    dirInfo = await stat(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`--db ${path}: there is no directory ${dir} (create it first: mkdir -p ${dir})`);
    if (code === 'ENOTDIR') throw new UserError(`--db ${path}: a part of ${dir} is not a directory`);
    throw new UserError(`--db ${path}: cannot reach ${dir}: ${code === 'EACCES' ? 'permission denied' : String(error)}`);
  }
  if (!dirInfo.isDirectory()) throw new UserError(`--db ${path}: ${dir} is not a directory`);
  const problem = (await writable(dir)) ?? (info === undefined ? undefined : await writable(path));
  if (problem !== undefined) {
    const what = info === undefined ? `cannot create ${path}` : `cannot write ${path}`;
    throw new UserError(`--db ${path}: ${what}: ${problem} (choose a writable location, or run with the rights to write there)`);
  }
}

async function writable(path: string): Promise<string | undefined> {
  try {
    await access(path, constants.W_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EROFS') return `${path} is on a read-only file system`;
    if (code === 'EACCES' || code === 'EPERM') return `no write permission on ${path}`;
    return error instanceof Error ? error.message : String(error);
  }
}
