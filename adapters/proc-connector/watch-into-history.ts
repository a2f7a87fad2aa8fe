import { readFileSync } from 'node:fs';
import type { IngestWarning } from '../../src/events/event-sink.js';
import type { LossEvent, ProcEvent } from '../../src/events/proc-event.js';
import type { HistoryBuilderStats } from '../../src/history/history-builder.js';
import { openIngestTarget, type IngestTarget } from '../../src/ingest/ingest-target.js';
import { FULL_HEAD_BYTES, sha256, type SourceKey } from '../../src/ingest/source-registry.js';
import type { LiveSummary } from './live-connector.js';
import { runLiveConnector } from './live-connector.js';
import { withLocalUserNames } from './local-user-names.js';

/** Commit at least this often, so queries see the live tree within a fraction of a second... */
const COMMIT_EVERY_MS = 250;
/** ... and never hold more than this many events in one transaction during a storm. */
const COMMIT_EVERY_EVENTS = 20_000;

export interface WatchOptions {
  /** The history: a SQLite file or a postgres:// URL (as every --db). */
  db: string;
  signal: AbortSignal;
  host?: string;
  /** PostgreSQL: seconds to wait for another writer of the host (SQLite's lock is the caller's). */
  waitS?: number;
  /** Every loss event as it happens (the command prints it). */
  onLoss?: (loss: LossEvent) => void;
  onWarning?: (warning: IngestWarning) => void;
}

export interface WatchSummary {
  live: LiveSummary;
  history: HistoryBuilderStats;
  commits: number;
  warnings: number;
}

/**
 * `proc-tree watch`: the live proc connector pipeline feeding the history through the
 * ingest target (SQLite or PostgreSQL). The /proc seed and every batch go through the
 * history builder; a transaction is committed every COMMIT_EVERY_MS or COMMIT_EVERY_EVENTS,
 * and once more at stop. Losses (ENOBUFS, sequence gaps) are stored as loss rows by the
 * builder and reported through onLoss. The session is registered as a source (format
 * proc-connector-live, path `netlink`) so stored evidence points back to it.
 */
export async function watchIntoHistory(options: WatchOptions): Promise<WatchSummary> {
  const target = await openIngestTarget(options.db, {
    ...(options.host === undefined ? {} : { host: options.host }),
    ...(options.waitS === undefined ? {} : { waitS: options.waitS }),
    stop: options.signal,
  });
  let commits = 0;
  let warnings = 0;
  try {
    const sourceId = await registerSession(target, options.host);
    const builder = target.builder({ sourceIdOf: (file) => (file === 'netlink' || file === '/proc' ? sourceId : undefined) });
    let pending = 0;
    let lastCommit = Date.now();
    /** Commits what the builder wrote; `goOn`: and opens the next transaction. */
    const commit = async (goOn = true): Promise<void> => {
      builder.saveState();
      pending = 0;
      lastCommit = Date.now();
      await target.commit();
      commits++;
      if (goOn) target.begin();
    };
    target.begin();
    const live = await runLiveConnector({
      signal: options.signal,
      ...(options.host === undefined ? {} : { host: options.host }),
      sink: {
        onEvent: (event: ProcEvent) => {
          // Live: uids are this host's, so they get its names (the /proc snapshot's way).
          builder.onEvent(withLocalUserNames(event));
          pending++;
          if (event.kind === 'loss') options.onLoss?.(event);
        },
        onWarning: (warning) => {
          warnings++;
          options.onWarning?.(warning);
        },
      },
      afterBatch: async () => {
        if (pending > 0 && (Date.now() - lastCommit >= COMMIT_EVERY_MS || pending >= COMMIT_EVERY_EVENTS)) await commit();
      },
    });
    await commit(false);
    // SQLite: a clean stop leaves one self-contained file (no -wal/-shm), readable from a
    // write-protected evidence copy; while watching, WAL let queries read concurrently.
    await target.finish();
    return { live, history: builder.stats, commits, warnings };
  } finally {
    await target.close();
  }
}

async function registerSession(target: IngestTarget, host: string | undefined): Promise<number> {
  let bootId = '';
  try {
    bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    // no boot id: the session is still unique by its start time
  }
  const nowNs = BigInt(Date.now()) * 1_000_000n;
  const key: SourceKey = {
    hostId: target.writer.hostId(host ?? ''),
    format: 'proc-connector-live',
    headSha256: sha256(`netlink:${bootId}:${nowNs}`),
    headBytes: FULL_HEAD_BYTES,
  };
  target.begin();
  const row = target.registry.create(key, { path: 'netlink' }, nowNs);
  await target.commit();
  return row.id;
}
