import { open } from 'node:fs/promises';

/**
 * Where to start reading a plain (seekable, uncompressed) log to meet every line written
 * after some moment, found by bisection on byte offsets instead of reading from the start.
 *
 * The caller says, for a sample of consecutive lines, whether they were written before the
 * moment (`isBefore`); a log is written in time order, so that answer flips once along the
 * file, except for the few lines written late (an audit record's time is taken at syscall
 * entry, its line written at exit): hence a sample, not one line. The answer is a line
 * start at or before the flip, 0 when the flip is in the first window. Bisection stops when
 * the range is one window wide, so at most a window more is read than needed.
 */

/** Bytes read at each probe: holds SAMPLE_LINES lines of any real audit record type. */
export const PROBE_BYTES = 64 * 1024;
/** Lines looked at per probe. */
export const SAMPLE_LINES = 50;

/** Says whether the sampled lines (complete lines, in file order) were written before the moment. */
export type SampleVerdict = (lines: string[]) => boolean;

export async function bisectLogOffset(path: string, isBefore: SampleVerdict): Promise<number> {
  const handle = await open(path, 'r');
  try {
    const size = (await handle.stat()).size;
    const buffer = Buffer.allocUnsafe(PROBE_BYTES);
    /** A line start known to be before the moment (or the file start). */
    let lo = 0;
    /** A probe position known to be at or after it (or the file end). */
    let hi = size;
    while (hi - lo > PROBE_BYTES) {
      const mid = lo + Math.floor((hi - lo) / 2);
      const { bytesRead } = await handle.read(buffer, 0, PROBE_BYTES, mid);
      const sample = sampleAfter(buffer.subarray(0, bytesRead));
      if (sample !== undefined && isBefore(sample.lines)) lo = mid + sample.lineStart;
      else hi = mid;
    }
    return lo;
  } finally {
    await handle.close();
  }
}

/** The complete lines of a window read at an arbitrary offset: after its first newline (resync). */
function sampleAfter(window: Buffer): { lineStart: number; lines: string[] } | undefined {
  const first = window.indexOf(10);
  if (first < 0) return undefined;
  const lines: string[] = [];
  let from = first + 1;
  while (lines.length < SAMPLE_LINES) {
    const end = window.indexOf(10, from);
    if (end < 0) break;
    lines.push(window.toString('latin1', from, end));
    from = end + 1;
  }
  return lines.length === 0 ? undefined : { lineStart: first + 1, lines };
}
