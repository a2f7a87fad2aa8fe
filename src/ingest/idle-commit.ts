import { withIdleTicks } from './idle-ticks.js';

/**
 * Quiet time after which an ingest of a live input (`--follow`, `tail -f audit.log |
 * proc-tree ingest -`) emits the reassembler's open events and commits them: auditd writes
 * an event's records within milliseconds, so after a second of quiet no later record is
 * likely to complete them, and a query from another process should see them now.
 */
export const IDLE_COMMIT_MS = 1_000;
/**
 * ... except events that look cut short (a syscall event without its PROCTITLE, the
 * kernel's last record: AuditdAdapter.flushPending): those wait for this much quiet. The
 * input ending between two records of one event for a second is a writer caught in the
 * middle of it (a log appended in pieces, a pipe's buffer), whose next write completes it;
 * emitted at the first idle flush, such an exec was stored with part of its argv, for good
 * (test/ingest/follow-stop-mid-event.test.ts). After this long the rest is taken as lost.
 */
export const IDLE_HOLD_UNFINISHED_MS = 10_000;

/**
 * The idle commits of one ingest of a live input, used by `--follow` and by a stdin ingest
 * alike. `commitIdle(all)` is where the ingest flushes the parse stage's open window
 * (ParseStage.flushOpen, whose resume point stays before the flushed events) and commits;
 * it resolves to true when events were held (not `all`). It runs once each time the input
 * has been quiet for `idleMs` after new data, holding the unfinished events, and once
 * more with `all` when they are still held after `holdMs` of quiet; not again until more
 * comes, across the streams the ingest reads one after another (a followed log's
 * generations: events read from one wait in the window while the next is quiet).
 * stdin used to commit only what the parser had emitted, leaving the events still open in
 * the reassembler (89 of the 371 instances of a real capture) for more input or the end.
 */
export class IdleCommits {
  /** fresh: data came since the last idle commit; held: that commit held events; done: nothing to do until more comes. */
  private state: 'fresh' | 'held' | 'done' = 'done';
  private quietTicks = 0;

  constructor(
    private readonly idleMs: number,
    private readonly commitIdle: (all: boolean) => Promise<boolean>,
    private readonly holdMs: number = IDLE_HOLD_UNFINISHED_MS,
  ) {}

  /** `pieces` as they come, with the idle commits run between them. */
  async *of(pieces: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const piece of withIdleTicks(pieces, this.idleMs)) {
      if (piece !== undefined) {
        this.state = 'fresh';
        this.quietTicks = 0;
        yield piece;
        continue;
      }
      if (this.state === 'done') continue;
      this.quietTicks++;
      if (this.state === 'fresh') this.state = (await this.commitIdle(false)) ? 'held' : 'done';
      else if (this.quietTicks * this.idleMs >= this.holdMs) {
        await this.commitIdle(true);
        this.state = 'done';
      }
    }
  }
}
