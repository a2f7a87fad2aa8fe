import { connectPg } from './pg-connect.js';
import pg from 'pg';
import { UserError } from '../../cli/user-error.js';
import type { HostNamed, IngestTarget, TargetOptions } from '../../ingest/ingest-target.js';
import { HistoryBuilder, type HistoryBuilderOptions } from '../history-builder.js';
import { DEFAULT_HOST } from '../history-types.js';
import { PgHistoryWriter } from './pg-history-writer.js';
import { loadHost } from './pg-host-load.js';
import { migratePostgres } from './pg-schema.js';
import { PgSourceRegistry } from './pg-source-registry.js';
import { redactUrl } from './pg-url.js';
import { PgWriterLock } from './pg-writer-lock.js';

/**
 * An ingest into PostgreSQL: one connection holding the writer locks of the hosts it
 * writes, a writer and a registry that hold rows in memory, and a commit that writes them
 * all with the resume positions in one transaction. Between commits no transaction is open
 * (queries of other sessions see the last commit; nothing here waits on the server while
 * the builder runs).
 */
export class PgIngestTarget implements IngestTarget {
  readonly writer = new PgHistoryWriter();
  readonly registry = new PgSourceRegistry();
  private built: HistoryBuilder | undefined;
  private readonly lock: PgWriterLock;

  private constructor(
    private readonly client: pg.Client,
    readonly where: string,
    waitS: number | undefined,
    stop: AbortSignal | undefined,
  ) {
    this.lock = new PgWriterLock(client, where, waitS, stop);
  }

  static async open(url: string, options: TargetOptions): Promise<PgIngestTarget> {
    const where = redactUrl(url);
    return connectPg({ connectionString: url }, where, async (client) => {
      const target = new PgIngestTarget(client, where, options.waitS, options.stop);
      await migratePostgres(client, where);
      await target.takeHost(options.host ?? DEFAULT_HOST, true);
      return target;
    });
  }

  /** Allocates the host, takes its writer lock and reads what its writer needs. */
  private async takeHost(name: string, withSources: boolean): Promise<void> {
    const id = await this.lock.takeHost(name);
    this.writer.addHost(name, id, await loadHost(this.client, id));
    if (withSources) await this.registry.loadHost(this.client, id);
    this.built?.restoreHost(id);
  }

  builder(options?: HistoryBuilderOptions): HistoryBuilder {
    this.built = new HistoryBuilder(this.writer, options);
    return this.built;
  }

  prepareHosts(events: readonly HostNamed[]): (() => Promise<void>) | undefined {
    let missing: Set<string> | undefined;
    let lastName: string | undefined;
    for (const e of events) {
      const name = e.host ?? DEFAULT_HOST;
      if (name === lastName) continue;
      lastName = name;
      if (!this.writer.knows(name)) (missing ??= new Set()).add(name);
    }
    if (missing === undefined) return undefined;
    return async () => {
      for (const name of missing) if (!this.writer.knows(name)) await this.takeHost(name, false);
    };
  }

  /** Rows are held in memory until commit: no transaction stays open between commits. */
  begin(): void {}

  async commit(): Promise<void> {
    // Taken before the first await: what the builder writes meanwhile goes to the next commit.
    const rows = this.writer.takeBatch();
    const sources = this.registry.takeBatch();
    await this.client.query('BEGIN');
    try {
      await rows.write(this.client);
      await sources.write(this.client);
      await this.client.query('COMMIT');
    } catch (error) {
      await this.client.query('ROLLBACK').catch(() => undefined);
      throw new UserError(`${this.where}: writing the batch failed: ${(error as Error).message} (nothing of this batch is stored; run the ingest again to resume)`);
    }
  }

  async finish(): Promise<void> {}

  async close(): Promise<void> {
    await this.lock.releaseAll().catch(() => undefined);
    await this.client.end().catch(() => undefined);
  }
}

export function openPgIngestTarget(url: string, options: TargetOptions): Promise<PgIngestTarget> {
  return PgIngestTarget.open(url, options);
}
