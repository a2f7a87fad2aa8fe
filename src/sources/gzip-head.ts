import type { FileHandle } from 'node:fs/promises';
import { constants as zlibConstants, createGunzip } from 'node:zlib';
import { readHead } from './read-head.js';

/** Audit logs compress about tenfold: this much compressed input holds far more than a head. */
const GZIP_HEAD_READ_BYTES = 64 * 1024;

/**
 * The first `bytes` bytes of a .gz file's content, from its first compressed bytes. A log
 * keeps its content head when logrotate compresses it, so this is how the registry
 * recognises `audit.log.2.gz` as the `audit.log.1` (or live file) it already read. A damaged
 * file yields nothing (a damaged prefix is not a head to recognise the file by).
 *
 * Streamed, keeping only the head: deflate expands up to ~1,032x, so the 64 KiB prefix of
 * a gzip bomb decodes to 64 MiB; gunzipSync held all of it, twice while joining its pieces
 * (measured: 125 MiB of external memory, peak RSS 190 MiB instead of 76 MiB for a bomb of
 * NULs, bench/reliability/cases/huge-lines.ts). The whole prefix is still decoded, as before,
 * so damage anywhere in it is noticed the same way.
 */
export async function gzipContentHead(handle: FileHandle, size: number, bytes: number): Promise<Buffer> {
  const raw = await readHead(handle, Math.min(size, GZIP_HEAD_READ_BYTES));
  // Z_SYNC_FLUSH: decode what the prefix holds instead of failing on its missing end.
  const gunzip = createGunzip({ finishFlush: zlibConstants.Z_SYNC_FLUSH });
  const head: Buffer[] = [];
  let kept = 0;
  try {
    gunzip.end(raw);
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      if (kept >= bytes) continue;
      head.push(Buffer.from(chunk.subarray(0, bytes - kept)));
      kept += Math.min(chunk.length, bytes - kept);
    }
    return Buffer.concat(head);
  } catch {
    return Buffer.alloc(0);
  } finally {
    gunzip.destroy();
  }
}
