import { createHash, type Hash } from 'node:crypto';

/** A SHA-256 of a source's content from byte 0 up to `bytes` (decompressed for .gz, zip entries). */
export interface ContentDigest {
  sha256: string;
  bytes: number;
}

/**
 * The SHA-256 of one source's content, read as the ingest reads it, given at the offset each
 * commit records: bytes 0..resume offset (what a re-run takes as already ingested). The
 * resume offset lags the read position (context lines, pending events), so the pieces read
 * past the last digest are held until a commit passes them (the parse stage's look-back
 * bounds that: at most ~65k lines). A source read from its start is hashed in the parse
 * stage (the worker thread for large inputs: parse-stage.ts), a resumed one here, in the
 * ingest's thread, from the prefix state its check left (open-auditd-source.ts).
 */
/**
 * Most bytes kept past the hashed point: combined.log (336 MB) kept at most 4,040,840 (4
 * pieces, see advance). 16 MiB made the 256 MiB-line bomb of huge-lines.test.ts peak 93 MiB
 * above the captures alone (limit 64; pieces kept longer die in the old generation); 4 MiB:
 * 44 MiB, as without hashing (41).
 */
const MAX_HELD_BYTES = 4 << 20;

export class ContentHash {
  private readonly held: Buffer[] = [];
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

  /** The next piece read (kept, not copied: it must not be moved to another thread). */
  push(piece: Buffer): void {
    if (piece.length === 0) return;
    this.held.push(piece);
    this.readTo += piece.length;
    // A resume point held back by a huge record (test/reliability/huge-lines.test.ts: a
    // 256 MiB line) would keep all of it: hash on instead; commits before that point then
    // record no digest (NULL), the source's end still gets its own.
    if (this.readTo - this.hashedTo > MAX_HELD_BYTES) this.hashTo(this.readTo - MAX_HELD_BYTES / 2);
  }

  /**
   * Hashes what was read up to `offset` and lets it go: a later commit will not stop before
   * it (the resume point only moves forward). Called after each batch, it keeps what is held
   * to the resume point's lag (at most 4 pieces of 1 MiB on combined.log); held until commit
   * time, the pieces of a 2 s commit interval were ~60 MB more RSS.
   */
  advance(offset: number): void {
    if (offset > this.hashedTo && offset <= this.readTo) this.hashTo(offset);
  }

  /**
   * The digest of bytes 0..`offset`, hashing up to there (a commit at `offset`); undefined
   * when that is not known: past what was read, or before what was hashed already (offsets
   * only go forward, except back to the start).
   */
  at(offset: number): ContentDigest | undefined {
    if (offset === this.atStart.bytes) return this.atStart;
    if (offset < this.hashedTo || offset > this.readTo) return undefined;
    this.hashTo(offset);
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
    let at = this.hashedTo;
    for (const piece of this.held) {
      if (at >= offset) break;
      const take = Math.min(piece.length, offset - at);
      h.update(take === piece.length ? piece : piece.subarray(0, take));
      at += take;
    }
    return { sha256: h.digest('hex'), bytes: offset };
  }

  private hashTo(offset: number): void {
    while (this.hashedTo < offset) {
      const piece = this.held[0]!;
      const take = Math.min(piece.length, offset - this.hashedTo);
      this.hash.update(take === piece.length ? piece : piece.subarray(0, take));
      if (take === piece.length) this.held.shift();
      else this.held[0] = piece.subarray(take);
      this.hashedTo += take;
    }
  }
}
