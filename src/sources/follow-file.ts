import { open, stat, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { identifyOpenFile } from './input-identity.js';
import type { OpenedInput } from './open-inputs.js';
import { peekStream } from './peek-stream.js';

/** How often a quiet file is checked for growth, rotation or truncation. */
export const FOLLOW_POLL_MS = 250;
const READ_CHUNK_BYTES = 256 * 1024;

export interface FollowOptions {
  /** Ends following; the current generation's stream ends at the next poll. */
  signal: AbortSignal;
  pollMs?: number;
  /** Where to start in the first generation (resume); later generations start at 0. */
  startOffset?: number;
}

/**
 * Follows a growing log like `tail -F`: yields one OpenedInput per generation of the file
 * at `path`. A generation ends when the path points to another inode (auditd renamed the
 * file to audit.log.1 and created a new one: the old file is read to its end first), when
 * the file shrinks below what was read (truncated: restart at 0), or when `signal` aborts.
 * Polling, not inotify: it works the same on every filesystem and costs one stat per poll.
 *
 * Each generation's `chunks` must be consumed before asking for the next generation.
 * After an abort the last line may be incomplete: do not flush it, resume from the
 * splitter's consumedOffset instead.
 */
export async function* followFile(path: string, options: FollowOptions): AsyncGenerator<OpenedInput> {
  const pollMs = options.pollMs ?? FOLLOW_POLL_MS;
  const { signal } = options;
  let startOffset = options.startOffset ?? 0;
  while (!signal.aborted) {
    const handle = await openWhenPresent(path, signal, pollMs);
    if (handle === undefined) return;
    try {
      const identity = await identifyOpenFile(handle, path);
      if (identity.size < startOffset) startOffset = 0; // replaced while we were away
      const { head, chunks } = await peekStream(readGeneration(handle, path, startOffset, signal, pollMs), 1, 4096);
      yield { name: path, identity, compression: 'none', startOffset, head, chunks };
    } finally {
      await handle.close();
    }
    startOffset = 0;
  }
}

async function openWhenPresent(path: string, signal: AbortSignal, pollMs: number): Promise<FileHandle | undefined> {
  while (!signal.aborted) {
    try {
      return await open(path, 'r');
    } catch (error) {
      // Between auditd's rename and create, the path briefly does not exist.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (!(await pause(pollMs, signal))) return undefined;
  }
  return undefined;
}

/** Resolves false when aborted. */
async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

async function* readGeneration(
  handle: FileHandle,
  path: string,
  startOffset: number,
  signal: AbortSignal,
  pollMs: number,
): AsyncGenerator<Buffer> {
  const inode = (await handle.stat()).ino;
  let position = startOffset;
  for (;;) {
    const buffer = Buffer.allocUnsafe(READ_CHUNK_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
    if (bytesRead > 0) {
      position += bytesRead;
      yield buffer.subarray(0, bytesRead);
      continue;
    }
    if (signal.aborted) return;
    let current;
    try {
      current = await stat(path);
    } catch {
      current = undefined; // mid-rotation: the old file is still ours to finish
    }
    if (current !== undefined && current.ino !== inode) {
      // Rotated: drain what was appended to the old file before the rename, then stop.
      for (;;) {
        const { bytesRead: more } = await handle.read(buffer, 0, buffer.length, position);
        if (more === 0) return;
        position += more;
        yield Buffer.from(buffer.subarray(0, more));
      }
    }
    if (current !== undefined && current.size < position) return; // truncated in place
    if (!(await pause(pollMs, signal))) return;
  }
}
