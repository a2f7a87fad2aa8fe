import { open } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { gzipContentHead } from '../sources/gzip-head.js';
import { listRotatedLogs } from '../sources/rotated-logs.js';
import { detectCompression } from '../sources/sniff-format.js';
import { FULL_HEAD_BYTES, sha256, type SourceKey, type SourceRegistry, type SourceRow } from './source-registry.js';
import { readHead } from '../sources/read-head.js';

/** A rotated or live log on disk as the registry sees it: where it is, its head, and its row if known. */
export interface PlannedFile {
  path: string;
  dev: number;
  inode: number;
  size: number;
  /** Its first min(size, FULL_HEAD_BYTES) bytes of content (decompressed for a .gz). */
  head: Buffer;
  /** A .gz rotation: `size` is its size on disk, and it never grows. */
  compressed?: boolean;
  key: SourceKey;
  row?: SourceRow;
}

/** Where `ingest --follow` starts: rotated files to finish first (oldest first), then the live file. */
export interface FollowPlan {
  catchUp: PlannedFile[];
  /** The live file, or undefined when it does not exist (yet): follow waits for it. */
  live?: PlannedFile;
}

/**
 * Decides where a (re)started follow continues. The registry knows how far each file was
 * read, by its head (a rotated file keeps its head under its new name). If the followed
 * file was rotated while we were stopped, its rest now sits in `audit.log.1` (or further,
 * if auditd rotated several times): the newest rotated file we know is the last one we
 * read; it, any older ones we left unfinished just before it, and every newer one are
 * read to their ends before the live file. On a first start (nothing known) only the
 * live file is read, from its beginning: older rotated files are history for a plain
 * `proc-tree ingest DIR`, which registers them so a later follow does not read them again.
 * Compressed rotations (logrotate's `audit.log.N.gz`) are recognised by the head of their
 * content, which is the head the live file had: one compressed while we were stopped is
 * finished like a plain one.
 */
export async function planFollow(path: string, registry: SourceRegistry, hostId: number): Promise<FollowPlan> {
  const base = basename(path);
  const { files } = await listRotatedLogs(dirname(path)).catch(() => ({ files: [] as string[] }));
  const rotated: PlannedFile[] = [];
  for (const file of files) {
    const name = basename(file);
    if (file === path || !(name.startsWith(`${base}.`) || name.startsWith(`${base}-`))) continue;
    const planned = await planFile(file, registry, hostId);
    if (planned !== undefined && planned.size > 0) rotated.push(planned);
  }
  const live = await planFile(path, registry, hostId);
  let newestKnown = -1;
  for (let i = rotated.length - 1; i >= 0; i--) {
    if (rotated[i]!.row !== undefined) {
      newestKnown = i;
      break;
    }
  }
  const catchUp: PlannedFile[] = [];
  if (newestKnown >= 0) {
    let first = newestKnown;
    while (first > 0 && rotated[first - 1]!.row !== undefined && !rotated[first - 1]!.row!.complete) first--;
    for (const f of rotated.slice(first)) {
      if (f.row?.complete && (f.compressed === true || f.row.committedOffset >= f.size)) continue;
      catchUp.push(f);
    }
  }
  return live === undefined ? { catchUp } : { catchUp, live };
}

/**
 * Rotated files newer than the newest one the registry knows, oldest first: the generations
 * a running follow never saw because auditd rotated twice or more between two of its polls
 * (rotated, filled and rotated again within FOLLOW_POLL_MS; every generation the follow
 * opens is registered at once, so the one it just finished is known under its new name,
 * plain or compressed).
 */
export async function rotatedSinceLastKnown(path: string, registry: SourceRegistry, hostId: number): Promise<PlannedFile[]> {
  const base = basename(path);
  const { files } = await listRotatedLogs(dirname(path)).catch(() => ({ files: [] as string[] }));
  const missed: PlannedFile[] = [];
  for (let i = files.length - 1; i >= 0; i--) {
    const file = files[i]!;
    const name = basename(file);
    if (file === path || !(name.startsWith(`${base}.`) || name.startsWith(`${base}-`))) continue;
    const planned = await planFile(file, registry, hostId);
    if (planned === undefined || planned.size === 0) continue;
    if (planned.row !== undefined) break;
    missed.unshift(planned);
  }
  return missed;
}

/** Identity and registry row of one log file (plain or .gz); undefined when it does not exist. */
export async function planFile(path: string, registry: SourceRegistry, hostId: number): Promise<PlannedFile | undefined> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const stat = await handle.stat();
    const onDisk = await readHead(handle, Math.min(stat.size, FULL_HEAD_BYTES));
    const compressed = detectCompression(onDisk) === 'gzip';
    const exact = compressed ? await gzipContentHead(handle, stat.size, FULL_HEAD_BYTES) : onDisk;
    const key = sourceKeyOf(hostId, exact);
    const row = exact.length === 0 ? undefined : registry.find(key);
    const planned: PlannedFile = { path, dev: stat.dev, inode: stat.ino, size: stat.size, head: exact, key };
    if (compressed) planned.compressed = true;
    if (row !== undefined) planned.row = row;
    return planned;
  } finally {
    await handle.close();
  }
}

/** The registry key of an auditd source with this head (as run-ingest.ts builds it). */
export function sourceKeyOf(hostId: number, head: Buffer): SourceKey {
  return { hostId, format: 'auditd', headSha256: sha256(head), headBytes: head.length, head };
}
