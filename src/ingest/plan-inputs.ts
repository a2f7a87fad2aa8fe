import { open, stat } from 'node:fs/promises';
import { UserError } from '../cli/user-error.js';
import { gzipContentHead } from '../sources/gzip-head.js';
import { listRotatedLogs } from '../sources/rotated-logs.js';
import { detectCompression, sniffFormat, type Compression, type InputFormat } from '../sources/sniff-format.js';
import { FULL_HEAD_BYTES } from './source-registry.js';
import { readHead } from '../sources/read-head.js';

/** One file (or stdin) to read, in reading order, with what is needed to recognise it. */
export interface PlannedInput {
  /** Path as found (or `-`). */
  path: string;
  /** First bytes on disk (up to FULL_HEAD_BYTES); undefined for stdin. */
  head?: Buffer;
  /** A .gz: the first FULL_HEAD_BYTES of its content (what identifies the log it holds). */
  contentHead?: Buffer;
  compression?: Compression;
  /** Format sniffed from the head (plain files only; compressed ones are auditd logs). */
  sniffed?: InputFormat;
  size?: number;
  dev?: number;
  inode?: number;
  /** Found in this directory (not named by the user). */
  inDirectory?: string;
  /**
   * Why a file found in a directory cannot be read (e.g. no permission): reported and
   * skipped, the rest of the directory is ingested (a partial run).
   */
  unreadable?: string;
}

/**
 * INPUT arguments -> files in reading order: a directory becomes its rotated logs, oldest
 * first; `-` is stdin. Fails with one clear line when a named input cannot be opened; a
 * file found in a directory that cannot be opened is planned as `unreadable` instead.
 */
export async function planInputs(specs: readonly string[]): Promise<PlannedInput[]> {
  const out: PlannedInput[] = [];
  const seen = new Set<string>();
  for (const spec of specs) {
    if (spec === '-') {
      out.push({ path: '-' });
      continue;
    }
    let info;
    try {
      info = await stat(spec);
    } catch (error) {
      throw new UserError(`cannot open ${spec}: ${describe(error)}`);
    }
    let files = [spec];
    if (info.isDirectory()) {
      try {
        ({ files } = await listRotatedLogs(spec));
      } catch (error) {
        throw new UserError(`cannot list ${spec}: ${describe(error)}`);
      }
    }
    if (files.length === 0) throw new UserError(`no logs in ${spec} (expected audit.log, audit.log.1, ... or *.log.N.gz)`);
    for (const file of files) {
      if (seen.has(file)) continue; // the same file given twice is read once
      seen.add(file);
      if (!info.isDirectory()) out.push(await describeFile(file));
      else {
        const planned = await describeFile(file).catch((error: unknown): PlannedInput => {
          if (!(error instanceof UserError)) throw error;
          return { path: file, unreadable: error.message };
        });
        planned.inDirectory = spec;
        out.push(planned);
      }
    }
  }
  return out;
}

async function describeFile(path: string): Promise<PlannedInput> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw new UserError(`cannot open ${path}: ${describe(error)}`);
  }
  try {
    const st = await handle.stat();
    const bytes = await readHead(handle, Math.min(st.size, FULL_HEAD_BYTES));
    const compression = detectCompression(bytes);
    const planned: PlannedInput = { path, head: bytes, compression, size: st.size, dev: st.dev, inode: st.ino };
    if (compression === 'gzip') planned.contentHead = await gzipContentHead(handle, st.size, FULL_HEAD_BYTES);
    if (compression === 'none') {
      const format = sniffFormat(bytes);
      if (format !== undefined) planned.sniffed = format;
    }
    return planned;
  } finally {
    await handle.close();
  }
}

function describe(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied (try sudo, audit logs are root-only)';
  return error instanceof Error ? error.message : String(error);
}
