import type { FileHandle } from 'node:fs/promises';

/**
 * The first `length` bytes of an open file (fewer if it is shorter): what identifies a log
 * (its head hash) and what sniffing and compression detection look at.
 */
export function readHead(handle: FileHandle, length: number): Promise<Buffer> {
  return readAt(handle, 0, length);
}

/**
 * `length` bytes of an open file from `offset` (fewer at its end). One read may return less
 * than asked, so read until full or end of file.
 */
export async function readAt(handle: FileHandle, offset: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(Math.max(0, length));
  let filled = 0;
  while (filled < buf.length) {
    const { bytesRead } = await handle.read(buf, filled, buf.length - filled, offset + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buf.subarray(0, filled);
}
