import { withIdleTicks } from './idle-ticks.js';

/**
 * Quiet time after which an ingest of a live input (`--follow`, `tail -f audit.log |
 * proc-tree ingest -`) emits the reassembler's open events and commits them: auditd writes
 * an event's records within milliseconds, so after a second of quiet no later record is
 * likely to complete them, and a query from another process should see them now.
 */
export const IDLE_COMMIT_MS = 1_000;

/**
 * The pieces of a live input, with `commitIdle` awaited once each time the input has been
 * quiet for `idleMs` after new data (not again until more comes). `commitIdle` is where the
 * ingest flushes the parse stage's open window (ParseStage.flushOpen, whose resume point
 * stays before the flushed events) and commits. Both `--follow` and a stdin ingest use it:
 * stdin used to commit only what the parser had emitted, leaving the events still open in
 * the reassembler (89 of the 371 instances of a real capture) for more input or the end.
 */
export async function* withIdleCommits(pieces: AsyncIterable<Buffer>, idleMs: number, commitIdle: () => Promise<void>): AsyncGenerator<Buffer> {
  let fresh = false;
  for await (const piece of withIdleTicks(pieces, idleMs)) {
    if (piece !== undefined) {
      fresh = true;
      yield piece;
    } else if (fresh) {
      fresh = false;
      await commitIdle();
    }
  }
}
