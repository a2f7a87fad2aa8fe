import { UserError } from '../cli/user-error.js';
import { followFile } from '../sources/follow-file.js';
import { openInputs } from '../sources/open-inputs.js';
import { skipBytes } from '../sources/peek-stream.js';
import { planFollow, rotatedSinceLastKnown, sourceKeyOf, type PlannedFile } from './follow-plan.js';
import { FULL_HEAD_BYTES, type SourceInfo, type SourceKey, type SourceRegistry, type SourceRow } from './source-registry.js';

/** One byte stream of a follow, positioned where it is read from, with its registry identity. */
export interface FollowStream {
  path: string;
  key: SourceKey;
  /** Its first bytes up to `from` (the follow grows them to FULL_HEAD_BYTES: the key follows). */
  head: Buffer;
  info: SourceInfo;
  row?: SourceRow;
  from: number;
  /** Content from `from`; throws UserError where a compressed file is damaged. */
  chunks: AsyncIterable<Buffer>;
  /** A generation of the live file (else a rotated file being finished). */
  live: boolean;
  /** A .gz rotation being finished (its content before `from` is not read here). */
  compressed?: true;
}

export interface FollowStreamsOptions {
  path: string;
  signal: AbortSignal;
  pollMs?: number;
}

/**
 * The streams `ingest --follow` reads, in order: rotated files left unfinished by a
 * previous run (follow-plan.ts: plain or .gz), then each generation of the live file until
 * the signal aborts. Planned again when the live file was rotated between planning and
 * opening it. Each stream must be read (or abandoned) before asking for the next.
 */
export async function* followStreams(options: FollowStreamsOptions, registry: SourceRegistry, hostId: number): AsyncGenerator<FollowStream> {
  const { signal } = options;
  while (!signal.aborted) {
    const plan = await planFollow(options.path, registry, hostId);
    for (const file of plan.catchUp) {
      if (signal.aborted) return;
      yield* catchUp(file);
    }
    if (yield* live(options, plan.live, registry, hostId)) return;
  }
}

async function* catchUp(file: PlannedFile): AsyncGenerator<FollowStream> {
  const from = file.row?.committedOffset ?? 0;
  const stream = (chunks: AsyncIterable<Buffer>): FollowStream => {
    const s: FollowStream = { path: file.path, key: file.key, head: file.head, info: { path: file.path, dev: file.dev, inode: file.inode }, from, chunks, live: false };
    if (file.row !== undefined) s.row = file.row;
    if (file.compressed === true) s.compressed = true;
    return s;
  };
  try {
    for await (const opened of openInputs(file.path, { startOffset: from })) yield stream(opened.chunks);
  } catch (error) {
    // Gone or unreadable since it was planned: the reader reports it like a damaged file.
    if (!(error instanceof UserError)) throw error;
    yield stream(failing(error));
  }
}

async function* failing(error: Error): AsyncGenerator<Buffer> {
  yield* [];
  throw error;
}

/**
 * Each generation of the live file until the signal aborts (returns true), or false when
 * the file planned at its resume offset was replaced before followFile opened it.
 */
async function* live(options: FollowStreamsOptions, planned: PlannedFile | undefined, registry: SourceRegistry, hostId: number): AsyncGenerator<FollowStream, boolean> {
  const { path, signal } = options;
  const startOffset = planned?.row?.committedOffset ?? 0;
  let first = true;
  for await (const opened of followFile(path, { signal, startOffset, ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}) })) {
    const identity = opened.identity!;
    let s: FollowStream;
    if (first && startOffset > 0 && opened.startOffset === startOffset) {
      // The file we planned, unless it was rotated (another inode) or rewritten in place
      // (another head) in between: then plan again, its rest is in a rotated file now.
      if (planned === undefined || identity.inode !== planned.inode || identity.dev !== planned.dev) return false;
      if (identity.headBytes === planned.head.length && identity.headSha256 !== planned.key.headSha256) return false;
      const head = planned.head.subarray(0, Math.min(startOffset, planned.head.length));
      s = { path, key: planned.key, head, info: { path }, from: startOffset, chunks: opened.chunks, live: true };
      if (planned.row !== undefined) s.row = planned.row;
    } else {
      // auditd may have rotated more than once since the last poll: the generations between
      // the one just finished and this one sit in audit.log.1... unread. Finish them first.
      if (!first) for (const missed of await rotatedSinceLastKnown(path, registry, hostId)) yield* catchUp(missed);
      // A new generation (rotation, truncation, or created after we started). Its content
      // may be known already (e.g. a plain ingest ran meanwhile): skip what is committed.
      const key = sourceKeyOf(hostId, opened.head.subarray(0, FULL_HEAD_BYTES));
      const row = registry.find(key);
      let from = opened.startOffset;
      let chunks = opened.chunks;
      if (row !== undefined && row.committedOffset > 0) {
        chunks = skipBytes(chunks, row.committedOffset);
        from = row.committedOffset;
      }
      s = { path, key, head: opened.head.subarray(0, Math.min(from, opened.head.length)), info: { path }, from, chunks, live: true };
      if (row !== undefined) s.row = row;
    }
    first = false;
    s.info = { path, dev: identity.dev, inode: identity.inode };
    yield s;
  }
  return true;
}
