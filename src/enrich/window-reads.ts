import { open, stat } from 'node:fs/promises';
import { bisectLogOffset } from '../sources/bisect-log-offset.js';
import { openInputs } from '../sources/open-inputs.js';
import { readHead } from '../sources/read-head.js';
import { listRotatedLogs } from '../sources/rotated-logs.js';
import { detectCompression, type Compression } from '../sources/sniff-format.js';
import { auditLineTimeMs } from './audit-line-time.js';

/**
 * Which files of one input to read for a time window, and from which byte: the event
 * search's plan (events-near-time.ts), so that a history of many rotated logs costs the
 * files around the moment only.
 * - a plain file: from the line where its log was written at `fromMs` (bisection);
 * - a compressed file followed by another log of the same directory whose head was written
 *   before `skipBeforeMs`: not at all (rotation writes a file in full before the next one
 *   starts, so all of it is older; only a first line that blocked longer than the margin
 *   can make this wrong, and the caller's next pass reads wider);
 * - anything else (other compressed files, zip archives, pipes): from the start.
 */
export interface WindowRead {
  file: string;
  startOffset: number;
}

export async function* windowReads(spec: string, fromMs: number, skipBeforeMs: number): AsyncGenerator<WindowRead> {
  const info = await stat(spec);
  const files = info.isDirectory() ? (await listRotatedLogs(spec)).files : [spec];
  for (let i = 0; i < files.length; i++) {
    const file = files[i]!;
    const compression = await compressionOf(file);
    if (compression === 'none') yield { file, startOffset: await bisectLogOffset(file, (lines) => medianTimeBefore(lines, fromMs)) };
    else if (compression === 'gzip' && i + 1 < files.length && (await headBefore(files[i + 1]!, skipBeforeMs))) continue;
    else yield { file, startOffset: 0 };
  }
}

/** A regular file's compression by its magic bytes; undefined for a pipe or device (no seek, no second look). */
async function compressionOf(path: string): Promise<Compression | undefined> {
  if (!(await stat(path)).isFile()) return undefined;
  const handle = await open(path, 'r');
  try {
    return detectCompression(await readHead(handle, 4));
  } finally {
    await handle.close();
  }
}

/** The median time of the audit lines among `lines` is before `ms` (a few late-written lines do not move it). */
function medianTimeBefore(lines: string[], ms: number): boolean {
  const times = lines.map(auditLineTimeMs).filter((t): t is number => t !== undefined).sort((a, b) => a - b);
  return times.length > 0 && times[Math.floor(times.length / 2)]! < ms;
}

/** Whether the complete lines of a log's decompressed head (SNIFF_BYTES) were written before `ms`; false when unreadable. */
async function headBefore(path: string, ms: number): Promise<boolean> {
  try {
    for await (const input of openInputs(path)) {
      for await (const _ of input.chunks) break; // closes the stream
      const text = input.head.toString('latin1');
      return medianTimeBefore(text.slice(0, text.lastIndexOf('\n') + 1).split('\n').slice(0, -1), ms);
    }
  } catch {
    // Damaged or gone: read the file before it, the full read will say what is wrong.
  }
  return false;
}
