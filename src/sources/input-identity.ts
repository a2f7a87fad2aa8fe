import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { readHead } from './read-head.js';

/** How many leading bytes identify a file's content (a rotated file keeps its head). */
export const IDENTITY_HEAD_BYTES = 4096;

/**
 * What the history store needs to recognise an input it has seen: the same file renamed by
 * rotation keeps dev+inode and its first bytes; an appended file keeps its head hash and
 * grows; a truncated or replaced file changes its head hash (or shrinks).
 */
export interface InputIdentity {
  /** Path as given by the user (or as found in a directory). */
  path: string;
  dev: number;
  inode: number;
  /** Size on disk when opened (compressed size for .gz/.zip). */
  size: number;
  mtimeMs: number;
  /** sha256 hex of the first min(size, IDENTITY_HEAD_BYTES) bytes on disk. */
  headSha256: string;
  /** How many bytes went into headSha256. */
  headBytes: number;
}

/** Identity of a file on disk (raw bytes, before any decompression). */
export async function identifyFile(path: string): Promise<InputIdentity> {
  const handle = await open(path, 'r');
  try {
    return await identifyOpenFile(handle, path);
  } finally {
    await handle.close();
  }
}

/** Same, for an already opened file (follow mode: identity of the exact file we read). */
export async function identifyOpenFile(handle: import('node:fs/promises').FileHandle, path: string): Promise<InputIdentity> {
  const stat = await handle.stat();
  const head = await readHead(handle, Math.min(stat.size, IDENTITY_HEAD_BYTES));
  return {
    path,
    dev: stat.dev,
    inode: stat.ino,
    size: stat.size,
    mtimeMs: stat.mtimeMs,
    headSha256: createHash('sha256').update(head).digest('hex'),
    headBytes: head.length,
  };
}
