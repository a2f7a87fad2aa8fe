import { hostname } from 'node:os';
import type pg from 'pg';
import { UserError } from '../../cli/user-error.js';
import { EXIT_TEMPFAIL } from '../../ingest/writer-lock.js';
import { allocateHostId } from './pg-hosts.js';
import { MAX_HOST_ID } from './pg-id-ranges.js';
import { PG_LOCK_CLASS } from './pg-schema.js';

/** How often a waiting writer tries the lock again. */
const RETRY_MS = 250;

/**
 * One writer per host: a session-level advisory lock (PG_LOCK_CLASS, host id) held on the
 * writer's connection for as long as it writes the host. PostgreSQL releases it when the
 * connection ends, however the process ends (kill -9 included), so a crashed writer never
 * leaves a stale lock. The `writers` row only names the holder for the refusal message.
 */
export class PgWriterLock {
  private readonly held = new Set<number>();

  constructor(
    private readonly client: pg.Client,
    private readonly where: string,
    /** Seconds to wait for a busy host (undefined: refuse at once). */
    private readonly waitS: number | undefined,
    /** Ctrl-C / SIGTERM of a long-running command (watch, follow): stops a wait at once. */
    private readonly stop?: AbortSignal,
  ) {}

  /** The id of host `name` (allocated when new, within proc-tree's id ranges), its lock then held. */
  async takeHost(name: string): Promise<number> {
    const id = await allocateHostId(this.client, name);
    if (id > MAX_HOST_ID) throw new UserError(`${this.where}: more than ${MAX_HOST_ID} hosts: host ids beyond that do not fit proc-tree's id ranges`);
    await this.acquire(id, name);
    return id;
  }

  private stopped(): boolean {
    return this.stop?.aborted === true;
  }

  private stoppedWaiting(hostName: string): UserError {
    const host = hostName === '' ? "host '' (logs without node=)" : `host ${JSON.stringify(hostName)}`;
    return new UserError(`${this.where}: stopped while waiting for the writer of ${host} to finish: nothing was written`, EXIT_TEMPFAIL);
  }

  async acquire(hostId: number, hostName: string): Promise<void> {
    if (this.held.has(hostId)) return;
    const deadline = this.waitS === undefined ? 0 : Date.now() + this.waitS * 1000;
    for (;;) {
      const { rows } = await this.client.query('SELECT pg_try_advisory_lock($1, $2) AS ok', [PG_LOCK_CLASS, hostId]);
      if (rows[0]?.ok === true) break;
      if (Date.now() >= deadline) throw await this.busy(hostId, hostName);
      if (this.stopped()) throw this.stoppedWaiting(hostName);
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      if (this.stopped()) throw this.stoppedWaiting(hostName);
    }
    this.held.add(hostId);
    await this.client.query(
      `INSERT INTO writers(host_id, pid, command, client_host) VALUES ($1, $2, $3, $4)
       ON CONFLICT (host_id) DO UPDATE SET pid = excluded.pid, command = excluded.command, client_host = excluded.client_host, since = now()`,
      [hostId, process.pid, process.argv.slice(1).join(' ').slice(0, 500), hostname()],
    );
  }

  private async busy(hostId: number, hostName: string): Promise<UserError> {
    const { rows } = await this.client.query("SELECT pid, command, client_host, to_char(since AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS since FROM writers WHERE host_id = $1", [hostId]);
    const h = rows[0];
    const who = h === undefined ? 'another proc-tree process' : `pid ${h.pid} on ${h.client_host} (${h.command}) since ${h.since}`;
    const host = hostName === '' ? "host '' (logs without node=)" : `host ${JSON.stringify(hostName)}`;
    return new UserError(
      `${this.where}: ${host} is being written by ${who}: wait for it to finish, stop it, or pass --wait SECONDS (one writer per host; other hosts can be ingested at the same time)`,
      EXIT_TEMPFAIL,
    );
  }

  /** Removes the holder rows and releases the locks (the connection ending would too). */
  async releaseAll(): Promise<void> {
    if (this.held.size === 0) return;
    const ids = [...this.held];
    this.held.clear();
    await this.client.query('DELETE FROM writers WHERE host_id = ANY($1::int[]) AND pid = $2', [ids, process.pid]);
    await this.client.query('SELECT pg_advisory_unlock_all()');
  }
}
