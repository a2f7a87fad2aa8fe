import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import StreamZip from 'node-stream-zip';
import { UserError } from '../cli/user-error.js';
import { identifyFile, type InputIdentity } from './input-identity.js';
import { peekStream, skipBytes } from './peek-stream.js';
import { listRotatedLogs, orderRotatedLogs } from './rotated-logs.js';
import { detectCompression, type Compression } from './sniff-format.js';

/** Bytes of decompressed content offered for format sniffing. */
export const SNIFF_BYTES = 4096;
/** 1 MiB reads: half the CPU of 256 KiB ones (fewer calls and stream steps; measured on a 318 MB log). */
const READ_CHUNK_BYTES = 1 << 20;
/**
 * gunzip output chunks. The default 16 KiB cost 1.37 CPU-s to inflate a 336 MB log, 64 KiB
 * 0.33 (no gain beyond). Not larger: on a data error the chunk being filled is lost, so
 * this bounds what a damaged .gz loses before the damage (CRC-32 zeroed: all of a 694 KB
 * capture with 1 MiB chunks).
 */
const GUNZIP_CHUNK_BYTES = 64 << 10;

/** One byte stream to read, e.g. a file, a zip entry, stdin, one generation of a followed file. */
export interface OpenedInput {
  /** Name for evidence and messages: the path, `-`, or `archive.zip!/audit.log.1`. */
  name: string;
  /** The file on disk it came from (the archive for zip entries); absent for stdin. */
  identity?: InputIdentity;
  /** Compression of the bytes on disk (content is always delivered decompressed). */
  compression: Compression;
  /** Offset, in the decompressed content, of the first byte of `chunks`. */
  startOffset: number;
  /** Up to SNIFF_BYTES of content from startOffset, for `--format auto`. */
  head: Buffer;
  /** The content from startOffset. Iterate it to the end (or break) exactly once. */
  chunks: AsyncIterable<Buffer>;
}

export interface OpenInputsOptions {
  /** stdin for `-`. */
  stdin?: NodeJS.ReadableStream;
  /**
   * Start reading a single file at this decompressed byte offset (resume). Plain files
   * seek; compressed ones are decompressed and the bytes skipped.
   */
  startOffset?: number;
}

function describe(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied (try sudo, audit logs are root-only)';
  if (code === 'EISDIR') return 'is a directory';
  return error instanceof Error ? error.message : String(error);
}

async function decompressed(raw: AsyncIterable<Buffer>, name: string): Promise<{ compression: Compression; content: AsyncIterable<Buffer> }> {
  const { head, chunks } = await peekStream(raw, 4);
  const compression = detectCompression(head);
  if (compression === 'gzip') {
    const gunzip = createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES });
    // pipeline() destroys both ends on error or early close; the error itself reaches the
    // consumer through its iteration of gunzip (wrapped into one clear message).
    pipeline(Readable.from(chunks, { objectMode: false }), gunzip).catch(() => undefined);
    return { compression, content: wrapErrors(gunzip, name) };
  }
  return { compression, content: chunks };
}

async function* wrapErrors(stream: AsyncIterable<Buffer>, name: string, otherwise?: string): AsyncGenerator<Buffer> {
  try {
    yield* stream;
  } catch (error) {
    const what = damage(error) ?? otherwise;
    throw new UserError(`cannot read ${name}: ${describe(error)}${what === undefined ? '' : ` (${what})`}`);
  }
}

/**
 * What a decompression error means for the lines already read. A cut-short file
 * (Z_BUF_ERROR) decoded exactly up to the cut. Corrupt data (Z_DATA_ERROR) is noticed
 * late: a flipped byte decodes to altered text until zlib meets an impossible code or the
 * CRC-32 in the trailer (measured: 10 of 14 seeded flips stored lines that differ from the
 * original, see bench/reliability/cases/damaged-gzip.ts).
 */
function damage(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'Z_BUF_ERROR') return 'the compressed file is cut short';
  if (code === 'Z_DATA_ERROR') return 'the compressed data is corrupt: lines decoded before this point may be altered too, gzip checks its CRC-32 only at the end';
  return String(code).startsWith('Z_') ? 'damaged or incomplete compressed file?' : undefined;
}

async function openContent(
  name: string,
  raw: AsyncIterable<Buffer>,
  identity: InputIdentity | undefined,
  startOffset: number,
  compressionHint?: Compression,
): Promise<OpenedInput> {
  let compression: Compression;
  let content: AsyncIterable<Buffer>;
  if (compressionHint === 'none' && startOffset > 0) {
    compression = 'none';
    content = raw; // already seeked
  } else {
    ({ compression, content } = await decompressed(raw, name));
    if (startOffset > 0) content = skipBytes(content, startOffset);
  }
  const { head, chunks } = await peekStream(content, SNIFF_BYTES);
  const input: OpenedInput = { name, compression, startOffset, head, chunks };
  if (identity !== undefined) input.identity = identity;
  return input;
}

/**
 * Zip entries of at most this many compressed bytes are read with one synchronous read +
 * inflate instead of a stream: node-stream-zip's stream costs two thread-pool reads and
 * several stream steps per entry (10,000 small entries: 2.85 s streamed, 0.11 s read this
 * way). The bound keeps the inflated buffer bounded too: deflate expands at most ~1,032x,
 * so no entry read this way holds more than ~64 MiB, whatever sizes its header claims.
 */
const SYNC_ZIP_ENTRY_MAX_BYTES = 64 * 1024;

type ZipEntry = ReturnType<StreamZip['entries']>[string];

function openZipFile(path: string): Promise<StreamZip> {
  return new Promise((resolve, reject) => {
    const zip = new StreamZip({ file: path, storeEntries: true });
    zip.on('ready', () => resolve(zip));
    zip.on('error', (error: unknown) => {
      zip.close();
      reject(error);
    });
  });
}

/** One entry's bytes (compressed or not: openContent decompresses a .gz inside a zip). */
async function* zipEntryBytes(zip: StreamZip, entry: ZipEntry): AsyncGenerator<Buffer> {
  if (entry.compressedSize <= SYNC_ZIP_ENTRY_MAX_BYTES) {
    yield zip.entryDataSync(entry);
    return;
  }
  const stream = await new Promise<NodeJS.ReadableStream>((resolve, reject) => zip.stream(entry, (error, s) => (error ? reject(error) : resolve(s!))));
  yield* stream as AsyncIterable<Buffer>;
}

/**
 * A zip's logs in reading order: directory by directory (sorted), each directory's rotated
 * logs oldest first, then the entries that are not rotated logs, sorted. Entries of the
 * same base name in different directories (two hosts' audit.log) are all read.
 */
export function orderZipEntries(names: readonly string[]): string[] {
  const byDir = new Map<string, string[]>();
  for (const name of names) {
    const slash = name.lastIndexOf('/');
    const dir = name.slice(0, slash + 1);
    const list = byDir.get(dir);
    if (list === undefined) byDir.set(dir, [name.slice(slash + 1)]);
    else list.push(name.slice(slash + 1));
  }
  const ordered: string[] = [];
  const ignored: string[] = [];
  for (const dir of [...byDir.keys()].sort()) {
    const order = orderRotatedLogs(byDir.get(dir)!);
    for (const base of order.ordered) ordered.push(dir + base);
    for (const base of order.ignored) ignored.push(dir + base);
  }
  return [...ordered, ...ignored.sort()];
}

async function* openZip(path: string, identity: InputIdentity): AsyncGenerator<OpenedInput> {
  let zip: StreamZip;
  let entries: Map<string, ZipEntry>;
  try {
    zip = await openZipFile(path);
    entries = new Map(Object.values(zip.entries()).filter((e) => e.isFile).map((e) => [e.name, e]));
  } catch (error) {
    throw new UserError(`cannot read zip archive ${path}: ${describe(error)}`);
  }
  try {
    for (const entryName of orderZipEntries([...entries.keys()])) {
      const name = `${path}!/${entryName}`;
      yield await openContent(name, wrapErrors(zipEntryBytes(zip, entries.get(entryName)!), name, 'damaged zip entry'), identity, 0);
    }
  } finally {
    zip.close();
  }
}

async function* openFile(path: string, startOffset: number): AsyncGenerator<OpenedInput> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    throw new UserError(`cannot open ${path}: ${describe(error)}`);
  }
  if (!info.isFile()) {
    // A pipe or device (`<(zcat ...)`, /dev/stdin): read it once, as a stream. Hashing its
    // head or peeking at its magic with a separate read would consume those bytes.
    const raw = createReadStream(path, { highWaterMark: READ_CHUNK_BYTES }) as AsyncIterable<Buffer>;
    yield await openContent(path, wrapErrors(raw, path), undefined, startOffset);
    return;
  }
  let identity: InputIdentity;
  try {
    identity = await identifyFile(path);
  } catch (error) {
    throw new UserError(`cannot open ${path}: ${describe(error)}`);
  }
  const magic = await readMagic(path);
  if (detectCompression(magic) === 'zip') {
    if (startOffset > 0) throw new UserError(`cannot resume inside zip archive ${path}: read it from the start`);
    yield* openZip(path, identity);
    return;
  }
  const plain = detectCompression(magic) === 'none';
  const seek = plain ? startOffset : 0;
  const raw = createReadStream(path, { start: seek, highWaterMark: READ_CHUNK_BYTES }) as AsyncIterable<Buffer>;
  yield await openContent(path, wrapErrors(raw, path), identity, startOffset, plain ? 'none' : undefined);
}

async function readMagic(path: string): Promise<Buffer> {
  const { open } = await import('node:fs/promises');
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(4);
    const { bytesRead } = await handle.read(buffer, 0, 4, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * Opens one INPUT argument as a sequence of byte streams, in reading order:
 * - `-`: stdin (gzip is detected and decompressed too);
 * - a directory: its rotated logs, oldest first (see rotated-logs.ts);
 * - a file: plain, gzip or zip (by magic bytes), a zip yielding each log it holds.
 * Throws UserError with a one-line message when the input cannot be opened at all.
 */
export async function* openInputs(spec: string, options: OpenInputsOptions = {}): AsyncGenerator<OpenedInput> {
  const startOffset = options.startOffset ?? 0;
  if (spec === '-') {
    if (options.stdin === undefined) throw new UserError('reading - (stdin) is not possible here');
    yield await openContent('-', options.stdin as AsyncIterable<Buffer>, undefined, startOffset);
    return;
  }
  let info;
  try {
    info = await stat(spec);
  } catch (error) {
    throw new UserError(`cannot open ${spec}: ${describe(error)}`);
  }
  if (info.isDirectory()) {
    if (startOffset > 0) throw new UserError(`a byte offset applies to one file, not to the directory ${spec}`);
    let files: string[];
    try {
      ({ files } = await listRotatedLogs(spec));
    } catch (error) {
      throw new UserError(`cannot list ${spec}: ${describe(error)}`);
    }
    if (files.length === 0) throw new UserError(`no logs in ${spec} (expected audit.log, audit.log.1, ... or *.log.N.gz)`);
    for (const file of files) yield* openFile(file, 0);
    return;
  }
  yield* openFile(spec, startOffset);
}
