import { hostname } from 'node:os';
import { UserError } from '../cli/user-error.js';

/**
 * One writer at a time per history (per host on PostgreSQL): the contract every backend's
 * lock implements. Nothing here knows a database: the SQLite lock is
 * src/history/sqlite-writer-lock.ts, the PostgreSQL one an advisory lock per host.
 */
export interface WriterLock {
  /**
   * Makes this process the history's only writer. A live holder: waits up to `wait`
   * seconds for it (Infinity: as long as it takes; none: not at all), then throws
   * WriterBusyError naming it. A stale holder (its process is gone) is taken over, with a
   * line to `onNote`.
   */
  acquire(options?: AcquireOptions): Promise<void>;
  /** Gives the lock up. Never throws: a holder left behind is found stale by the next writer. */
  release(): Promise<void>;
}

export interface AcquireOptions {
  /** Seconds to queue behind a live holder; Infinity waits for as long as it takes. */
  wait?: number;
  /** What the user should know, one line each (a stale holder taken over). */
  onNote?: (line: string) => void;
}

/** Who holds a writer lock: enough to name it to the user and to tell whether it still runs. */
export interface WriterHolder {
  pid: number;
  /**
   * Field 22 of /proc/PID/stat (clock ticks since boot), as decimal text: a pid reused by
   * another process after the holder died has another start time.
   */
  startTicks: string;
  /** /proc/sys/kernel/random/boot_id: after a reboot no holder of before can still run. */
  bootId: string;
  /** Machine it runs on: only there can its process be looked up. */
  hostname: string;
  /** The command line, as the user would recognise it ("proc-tree ingest --db h.db big/"). */
  command: string;
  /** When it took the lock, ms since the epoch. */
  sinceMs: number;
  /** Unique per acquisition: two writers in one process (tests) are told apart. */
  token: string;
}

/** EX_TEMPFAIL (sysexits.h): try again later. The exit status of a writer refused by the lock. */
export const EXIT_TEMPFAIL = 75;

/**
 * Another writer holds the history. `holder` is undefined when the database was locked by
 * a writer that keeps no lock record (an older proc-tree, another program).
 */
export class WriterBusyError extends UserError {
  constructor(
    readonly database: string,
    readonly holder: WriterHolder | undefined,
  ) {
    super(busyMessage(database, holder), EXIT_TEMPFAIL);
    this.name = 'WriterBusyError';
  }
}

/** What a refused writer can do, the end of every refusal line. */
export const WAIT_HINT = 'wait for it, or pass --wait [SECONDS] to queue behind it';

/** The one line a refused writer prints (after "proc-tree COMMAND: "). */
export function busyMessage(database: string, holder: WriterHolder | undefined): string {
  if (holder === undefined) return `${database} is being written by another process (one that keeps no writer lock: an older proc-tree?); ${WAIT_HINT}`;
  return `${database} is being written by ${describeHolder(holder)}; ${WAIT_HINT}`;
}

/** "pid 1234 (proc-tree ingest --db h.db big/) since 2026-12-03T06:40:01Z". */
export function describeHolder(holder: WriterHolder): string {
  const where = holder.hostname !== hostname() ? ` on ${holder.hostname}` : '';
  return `pid ${holder.pid}${where} (${holder.command}) since ${isoSeconds(holder.sinceMs)}`;
}

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Runs `write` as the only writer: acquires, runs, releases (also when `write` throws).
 * Every command that writes a history goes through here. `explain` turns a database error
 * the user can act on into a one-line UserError (writer-lock-errors.ts for SQLite).
 */
export async function withWriterLock<T>(
  lock: WriterLock,
  options: AcquireOptions & { explain?: (error: unknown) => UserError | undefined },
  write: () => Promise<T>,
): Promise<T> {
  try {
    await lock.acquire(options);
    try {
      return await write();
    } finally {
      await lock.release();
    }
  } catch (error) {
    throw options.explain?.(error) ?? error;
  }
}
