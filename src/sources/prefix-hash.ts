import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** A digest to compare a prefix with: SHA-256 hex of bytes 0..`bytes`. */
export interface PrefixDigest {
  sha256: string;
  bytes: number;
}

/** What reading a prefix found: the hash state after `upTo` bytes, and whether `check` held. */
export interface PrefixHash {
  /** State after bytes 0..upTo (update it with what follows). */
  hash: Hash;
  /** undefined: nothing to compare (no digest, or it covers more than was read). */
  matches?: boolean;
}

/**
 * Hashes bytes 0..`upTo` of a plain file (a resumed ingest's content hash goes on from
 * there) and compares the digest at `check.bytes` with `check.sha256`, reading as far as
 * either needs. A file shorter than `check.bytes` does not match. Re-hashing the 336 MB
 * real-enriched-200 combined.log so costs ~0.27 CPU-s (page cache, SHA-NI).
 */
export async function hashFilePrefix(path: string, upTo: number, check: PrefixDigest | undefined): Promise<PrefixHash> {
  const hash = createHash('sha256');
  const end = Math.max(upTo, check?.bytes ?? 0);
  let kept: Hash | undefined = upTo === 0 ? hash.copy() : undefined;
  let matches: boolean | undefined;
  let at = 0;
  const compare = (): void => {
    if (check !== undefined && at === check.bytes) matches = hash.copy().digest('hex') === check.sha256;
  };
  compare();
  if (end > 0) {
    for await (const chunk of createReadStream(path, { start: 0, end: end - 1, highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      let piece = chunk;
      // Stop at each point asked for (upTo, check.bytes) inside the chunk.
      for (const point of [upTo, check?.bytes ?? -1].filter((p) => p > at && p < at + piece.length).sort((a, b) => a - b)) {
        hash.update(piece.subarray(0, point - at));
        piece = piece.subarray(point - at);
        at = point;
        if (at === upTo) kept = hash.copy();
        compare();
      }
      hash.update(piece);
      at += piece.length;
      if (at === upTo) kept = hash.copy();
      compare();
    }
  }
  if (check !== undefined && matches === undefined) matches = false; // shorter than the digest covers
  return { hash: kept ?? hash, ...(check === undefined ? {} : { matches }) };
}

/**
 * skipBytes (peek-stream.ts) that hashes what it skips: `out.hash` is then the state after
 * bytes 0..`count`, and `out.matches` says whether the digest at `check.bytes` (<= count)
 * held, both set once the skip is done (before the first byte after it is yielded, or at
 * the end of a shorter stream, which does not match).
 */
export async function* skipHashing(source: AsyncIterable<Buffer>, count: number, check: PrefixDigest | undefined, out: PrefixHash): AsyncGenerator<Buffer> {
  const hash = out.hash;
  let at = 0;
  const compare = (): void => {
    if (check !== undefined && at === check.bytes) out.matches = hash.copy().digest('hex') === check.sha256;
  };
  compare();
  let done = count === 0;
  const finish = (): void => {
    done = true;
    if (check !== undefined && out.matches === undefined && check.bytes <= count) out.matches = false;
  };
  if (done) finish();
  for await (const chunk of source) {
    if (done) {
      yield chunk;
      continue;
    }
    let piece = chunk;
    if (check !== undefined && check.bytes > at && check.bytes < at + piece.length && check.bytes < count) {
      hash.update(piece.subarray(0, check.bytes - at));
      piece = piece.subarray(check.bytes - at);
      at = check.bytes;
      compare();
    }
    const take = Math.min(piece.length, count - at);
    hash.update(take === piece.length ? piece : piece.subarray(0, take));
    at += take;
    compare();
    if (at < count) continue;
    finish();
    if (take < piece.length) yield piece.subarray(take);
  }
  if (!done) finish();
}

/** A fresh PrefixHash for skipHashing. */
export const newPrefixHash = (): PrefixHash => ({ hash: createHash('sha256') });
