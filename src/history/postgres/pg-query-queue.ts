import type pg from 'pg';

/**
 * One connection's statements, one after another. Readers are free to ask several lookups at
 * once (Promise.all over hosts, a report's sections); `pg` would queue them too, but warns
 * that overlapping client.query() calls are deprecated, and the warning reached the user.
 */
export class PgQueryQueue {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(readonly client: pg.Client) {}

  query(config: string | pg.QueryConfig): Promise<pg.QueryResult> {
    return this.enqueue(() => this.client.query(config));
  }

  /** A statement whose rows come as arrays (rowMode 'array'). */
  arrays(config: pg.QueryConfig): Promise<pg.QueryArrayResult> {
    return this.enqueue(() => this.client.query({ ...config, rowMode: 'array' }));
  }

  private enqueue<T>(send: () => Promise<T>): Promise<T> {
    // After the previous statement, whether it failed or not (its caller sees its error).
    const run = this.tail.then(send, send);
    this.tail = run.catch(() => undefined);
    return run;
  }
}
