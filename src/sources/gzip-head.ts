import type { FileHandle } from 'node:fs/promises';
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import { readHead } from './read-head.js';

/** Audit logs compress about tenfold: this much compressed input holds far more than a head. */
const GZIP_HEAD_READ_BYTES = 64 * 1024;

/**
 * The first `bytes` bytes of a .gz file's content, from its first compressed bytes. A log
 * keeps its content head when logrotate compresses it, so this is how the registry
 * recognises `audit.log.2.gz` as the `audit.log.1` (or live file) it already read. A damaged
 * file yields what decodes before the damage (maybe nothing).
 */
export async function gzipContentHead(handle: FileHandle, size: number, bytes: number): Promise<Buffer> {
  const raw = await readHead(handle, Math.min(size, GZIP_HEAD_READ_BYTES));
  try {
    // Z_SYNC_FLUSH: decode what the prefix holds instead of failing on its missing end.
    const content = gunzipSync(raw, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    return Buffer.from(content.subarray(0, bytes));
  } catch {
    return Buffer.alloc(0);
  }
}
