import { setTimeout as sleep } from 'node:timers/promises';
import { UserError } from '../cli/user-error.js';
import type { AcquireOptions, WriterHolder, WriterLock } from '../ingest/writer-lock.js';
import { WriterBusyError, describeHolder } from '../ingest/writer-lock.js';
import { holderState, thisProcessAsHolder } from '../ingest/writer-lock-holder.js';
import { openHistoryDb, openPlainDb, type SqliteDatabase } from './open-history-db.js';

/** resume_state key of the holder record (JSON of WriterHolder). */
export const WRITER_LOCK_KEY = 'writer.lock';
/** How often a queued writer looks whether the holder is done. */
const POLL_MS = 200;
/**
 * How long a claim waits for SQLite's own write lock. A writer holding our lock record
 * is seen before that (the record is read without locking); the write lock is held then
 * only by another writer claiming at the same moment (microseconds), one migrating a new
 * file, or one that keeps no record (an older proc-tree).
 */
const CLAIM_BUSY_MS = 5_000;

/**
 * The writer lock of a SQLite history: a holder record in the database's resume_state
 * table, claimed under BEGIN IMMEDIATE.
 *
 * Why a record in the database and not a lock file beside it: SQLite's write lock makes
 * "read the holder, find it stale, write ourselves" one atomic step, so two writers
 * taking over from the same dead one cannot both win (with a file, that needs a protocol
 * of our own over rename/link); and if a claimer dies mid-claim the kernel drops SQLite's
 * lock with it. The record lives in resume_state, outside the history's tables (the
 * canonical dump does not see it) and needs no migration. It is read without locking
 * (WAL: a read never waits for the writer), so a refused writer never opens the file for
 * writing, and a queued one holds no connection while it waits: the holder can still
 * leave its file self-contained when it ends.
 */
export class SqliteWriterLock implements WriterLock {
  private held: WriterHolder | undefined;

  constructor(
    private readonly path: string,
    /** The holder's command line, shown to writers it refuses. */
    private readonly command: string,
  ) {}

  async acquire(options: AcquireOptions = {}): Promise<void> {
    const wait = options.wait ?? 0;
    const deadline = Date.now() + wait * 1000;
    for (;;) {
      const me = thisProcessAsHolder(this.command);
      const outcome = this.peek() ?? this.claim(me);
      if (outcome.claimed) {
        this.held = me;
        const taken = outcome.tookOver;
        if (taken !== undefined) {
          options.onNote?.(
            `note: took over ${this.path} from ${describeHolder(taken.holder)}: ${taken.why}; what it committed is kept, and this run continues from there`,
          );
        }
        return;
      }
      const left = deadline - Date.now();
      if (!(left > 0)) throw new WriterBusyError(this.path, outcome.holder);
      await sleep(Math.min(POLL_MS, left));
    }
  }

  async release(): Promise<void> {
    const mine = this.held;
    if (mine === undefined) return;
    this.held = undefined;
    try {
      const db = openPlainDb(this.path);
      try {
        db.prepare('DELETE FROM resume_state WHERE key = ? AND value = ?').run(WRITER_LOCK_KEY, JSON.stringify(mine));
      } finally {
        db.close();
      }
    } catch {
      // Disk full, file gone: the record stays, and names a process that no longer runs.
    }
  }

  /** A live holder seen without locking anything; undefined when a claim may succeed. */
  private peek(): Refused | undefined {
    let db: SqliteDatabase;
    try {
      db = openHistoryDb(this.path, { readonly: true });
    } catch (error) {
      if (error instanceof UserError) return undefined; // missing, new, damaged: the claim opens it and says
      throw error;
    }
    try {
      const holder = readHolder(db);
      return holder !== undefined && holderState(holder).alive ? { claimed: false, holder } : undefined;
    } finally {
      db.close();
    }
  }

  /** Reads and writes the holder record under SQLite's write lock. */
  private claim(me: WriterHolder): Claimed | Refused {
    const db = openHistoryDb(this.path); // creates and migrates a new file
    try {
      db.pragma(`busy_timeout = ${CLAIM_BUSY_MS}`);
      try {
        db.prepare('BEGIN IMMEDIATE').run();
      } catch (error) {
        if (isBusy(error)) return { claimed: false, holder: readHolder(db) };
        throw error;
      }
      try {
        const holder = readHolder(db);
        const state = holder === undefined ? undefined : holderState(holder);
        if (holder !== undefined && state?.alive === true) {
          db.prepare('ROLLBACK').run();
          return { claimed: false, holder };
        }
        db.prepare('INSERT INTO resume_state(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(
          WRITER_LOCK_KEY,
          JSON.stringify(me),
        );
        db.prepare('COMMIT').run();
        return holder !== undefined && state?.alive === false ? { claimed: true, tookOver: { holder, why: state.why } } : { claimed: true };
      } catch (error) {
        if (db.inTransaction) db.prepare('ROLLBACK').run();
        throw error;
      }
    } finally {
      db.close();
    }
  }
}

type Refused = { claimed: false; holder: WriterHolder | undefined };
type Claimed = { claimed: true; tookOver?: { holder: WriterHolder; why: string } };

function readHolder(db: SqliteDatabase): WriterHolder | undefined {
  const row = db.prepare('SELECT value FROM resume_state WHERE key = ?').get(WRITER_LOCK_KEY) as { value: string } | undefined;
  if (row === undefined) return undefined;
  try {
    return JSON.parse(row.value) as WriterHolder;
  } catch {
    return undefined; // unreadable record: nobody can be named, and nobody is refused for it
  }
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}
