import { withIdleTicks } from './idle-ticks.js';

/**
 * Quiet time after which an ingest of a live input (`--follow`, `tail -f audit.log |
 * proc-tree ingest -`) emits the reassembler's open events and commits them: auditd writes
 * an event's records within milliseconds, so after a second of quiet no later record is
 * likely to complete them, and a query from another process should see them now.
 */
export const IDLE_COMMIT_MS = 1_000;

/**
 * The idle commits of one ingest of a live input, used by `--follow` and by a stdin ingest
 * alike. `commitIdle` is where the ingest flushes the parse stage's open window
 * (ParseStage.flushOpen, whose resume point stays before the flushed events) and commits.
 * It runs once each time the input has been quiet for `idleMs` after new data, and not
 * again until more comes, across the streams the ingest reads one after another (a followed
 * log's generations: events read from one wait in the window while the next is quiet).
 * stdin used to commit only what the parser had emitted, leaving the events still open in
 * the reassembler (89 of the 371 instances of a real capture) for more input or the end.
 */
export class IdleCommits {
  private fresh = false;

  constructor(
    private readonly idleMs: number,
    private readonly commitIdle: () => Promise<void>,
  ) {}

  /** `pieces` as they come, with the idle commits run between them. */
  async *of(pieces: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const piece of withIdleTicks(pieces, this.idleMs)) {
      if (piece !== undefined) {
        this.fresh = true;
        yield piece;
      } else if (this.fresh) {
        this.fresh = false;
        await this.commitIdle();
      }
    }
  }
}
