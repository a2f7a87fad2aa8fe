import { createHash, type Hash } from 'node:crypto';

/** A SHA-256 of a source's content from byte 0 up to `bytes` (decompressed for .gz, zip entries). */
export interface ContentDigest {
  sha256: string;
  bytes: number;
}

/**
 * Most bytes kept past the hashed point: combined.log (336 MB) kept at most 4,040,840 (4
 * pieces of 1 MiB, see advance). Beyond it the oldest half is hashed on: a resume point held
 * back by a huge record (test/reliability/huge-lines.test.ts: a 256 MiB line) would keep all
 * of it; commits before that point then record no digest (NULL), the source's end still
 * gets its own.
 */
const MAX_HELD_BYTES = 8 << 20;
const FIRST_RING_BYTES = 64 << 10;

/**
 * The SHA-256 of one source's content, read as the ingest reads it, given at the offset each
 * commit records: bytes 0..resume offset (what a re-run takes as already ingested). The
 * resume offset lags the read position (context lines, pending events), so the bytes read
 * past it are copied into a ring of this hash's own until the resume point passes them.
 * Holding the pieces themselves instead kept them alive past the young generation: peak
 * RSS on combined.log +70 MB, the 256 MiB-line bomb of huge-lines.test.ts +93 MiB above the
 * captures alone (limit 64). A source read from its start is hashed in the parse stage (the
 * worker thread for large inputs: parse-stage.ts), a resumed one in the ingest's thread,
 * from the prefix state its check left (open-auditd-source.ts).
 */
export class ContentHash {
  /** Bytes hashedTo..readTo, from `head` on (wrapping). */
  private ring: Buffer = Buffer.alloc(0);
  private head = 0;
  private hashedTo: number;
  private readTo: number;
  private readonly atStart: ContentDigest;

  /** `hash`: the state after bytes 0..`from` (a fresh hash at 0; a verified prefix on resume). */
  constructor(
    private readonly hash: Hash,
    from: number,
  ) {
    this.hashedTo = from;
    this.readTo = from;
    this.atStart = { sha256: hash.copy().digest('hex'), bytes: from };
  }

  static fresh(): ContentHash {
    return new ContentHash(createHash('sha256'), 0);
  }

  /** The next piece read (copied: the caller may move it to another thread afterwards). */
  push(piece: Buffer): void {
    let rest = piece;
    while (rest.length > 0) {
      if (this.held === MAX_HELD_BYTES) this.hashOut(MAX_HELD_BYTES / 2);
      if (this.held === this.ring.length) this.grow();
      const n = Math.min(rest.length, this.ring.length - this.held);
      const at = (this.head + this.held) % this.ring.length;
      const first = Math.min(n, this.ring.length - at);
      rest.copy(this.ring, at, 0, first);
      if (first < n) rest.copy(this.ring, 0, first, n);
      this.readTo += n;
      rest = rest.subarray(n);
    }
  }

  /**
   * Hashes what was read up to `offset` and lets it go: a later commit will not stop before
   * it (the resume point only moves forward). Called after each batch, it keeps what is held
   * to the resume point's lag.
   */
  advance(offset: number): void {
    if (offset > this.hashedTo && offset <= this.readTo) this.hashOut(offset - this.hashedTo);
  }

  /**
   * The digest of bytes 0..`offset`, hashing up to there (a commit at `offset`); undefined
   * when that is not known: past what was read, or before what was hashed already (offsets
   * only go forward, except back to the start).
   */
  at(offset: number): ContentDigest | undefined {
    if (offset === this.atStart.bytes) return this.atStart;
    if (offset < this.hashedTo || offset > this.readTo) return undefined;
    this.hashOut(offset - this.hashedTo);
    return { sha256: this.hash.copy().digest('hex'), bytes: offset };
  }

  /**
   * at(), without hashing up to `offset` for good: what is held past the hashed point is
   * hashed into a copy (a source's end, while commits may still stop before it).
   */
  peek(offset: number): ContentDigest | undefined {
    if (offset === this.atStart.bytes) return this.atStart;
    if (offset < this.hashedTo || offset > this.readTo) return undefined;
    const h = this.hash.copy();
    for (const part of this.parts(offset - this.hashedTo)) h.update(part);
    return { sha256: h.digest('hex'), bytes: offset };
  }

  private get held(): number {
    return this.readTo - this.hashedTo;
  }

  /** Hashes the oldest `n` held bytes for good. */
  private hashOut(n: number): void {
    for (const part of this.parts(n)) this.hash.update(part);
    this.head = this.ring.length === 0 ? 0 : (this.head + n) % this.ring.length;
    this.hashedTo += n;
  }

  /** The oldest `n` held bytes, as one or two views of the ring. */
  private parts(n: number): Buffer[] {
    if (n === 0) return [];
    const first = Math.min(n, this.ring.length - this.head);
    const out = [this.ring.subarray(this.head, this.head + first)];
    if (first < n) out.push(this.ring.subarray(0, n - first));
    return out;
  }

  private grow(): void {
    const bigger = Buffer.allocUnsafeSlow(Math.min(MAX_HELD_BYTES, Math.max(FIRST_RING_BYTES, this.ring.length * 2)));
    let at = 0;
    for (const part of this.parts(this.held)) {
      part.copy(bigger, at);
      at += part.length;
    }
    this.ring = bigger;
    this.head = 0;
  }
}
