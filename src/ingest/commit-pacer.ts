/** Commit after this many lines or this much time, whichever first (`--commit-every`). */
export const DEFAULT_COMMIT_LINES = 200_000;
export const DEFAULT_COMMIT_MS = 2_000;
/** A cheap line estimate from bytes: audit lines are ~128 bytes. */
const BYTES_PER_LINE_SHIFT = 7;

/**
 * When an ingest commits: after about `lines` lines or `ms` milliseconds of reading. Commits
 * happen between pieces (only there is the read position exact), so pieces are no larger
 * than the commit interval: small intervals (tests, `--commit-every`) stay honest.
 */
export class CommitPacer {
  readonly lines: number;
  readonly ms: number;
  /** Bytes handed to the parser at once. */
  readonly pieceBytes: number;
  private sinceCommit = 0;
  private last = Date.now();

  constructor(lines = DEFAULT_COMMIT_LINES, ms = DEFAULT_COMMIT_MS) {
    this.lines = lines;
    this.ms = ms;
    this.pieceBytes = Math.max(4096, Math.min(1 << 20, lines * 128));
  }

  /** Counts a piece just read; true when a commit is due. */
  read(bytes: number): boolean {
    this.sinceCommit += bytes >>> BYTES_PER_LINE_SHIFT;
    return this.sinceCommit >= this.lines || Date.now() - this.last >= this.ms;
  }

  committed(): void {
    this.sinceCommit = 0;
    this.last = Date.now();
  }
}

/** `chunks` cut into pieces of at most `pieceBytes` (views, no copies). */
export async function* piecesOf(chunks: AsyncIterable<Buffer>, pieceBytes: number): AsyncGenerator<Buffer> {
  for await (const whole of chunks) {
    if (whole.length <= pieceBytes) yield whole;
    else for (let at = 0; at < whole.length; at += pieceBytes) yield whole.subarray(at, at + pieceBytes);
  }
}
