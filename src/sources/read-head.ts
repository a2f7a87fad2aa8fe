import type { FileHandle } from 'node:fs/promises';

/**
 * The first `length` bytes of an open file (fewer if it is shorter): what identifies a log
 * (its head hash) and what sniffing and compression detection look at. One read may return
 * less than asked, so read until full or end of file.
 */
export async function readHead(handle: FileHandle, length: number): Promise<Buffer> {
  const head = Buffer.alloc(length);
  let filled = 0;
  while (filled < head.length) {
    const { bytesRead } = await handle.read(head, filled, head.length - filled, filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return head.subarray(0, filled);
}
