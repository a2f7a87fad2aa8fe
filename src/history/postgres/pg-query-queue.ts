import type pg from 'pg';

/** Named statement parameters (@name): ids and times as bigint, names as text. */
export type Params = Record<string, number | bigint | string>;

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

  /** `sql` with @name parameters: its rows as objects. */
  async rows(sql: string, params: Params): Promise<Record<string, unknown>[]> {
    return (await this.query(named(sql, params))).rows as Record<string, unknown>[];
  }

  /** `sql` with @name parameters: its rows as arrays, in select-list order. */
  async arrayRows(sql: string, params: Params): Promise<unknown[][]> {
    return (await this.arrays(named(sql, params))).rows as unknown[][];
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

/**
 * `sql` with named parameters (@name) as `pg` positional ones ($n), each cast to its type:
 * an untyped parameter in a CTE's first row would be text.
 */
function named(sql: string, params: Params): pg.QueryConfig {
  const order = new Map<string, number>();
  const values: unknown[] = [];
  const text = sql.replace(/@(\w+)/g, (_, name: string) => {
    if (!(name in params)) throw new Error(`no value for @${name}`);
    let n = order.get(name);
    if (n === undefined) {
      const v = params[name]!;
      values.push(typeof v === 'string' ? v : v.toString());
      n = values.length;
      order.set(name, n);
    }
    return `$${n}::${typeof params[name] === 'string' ? 'text' : 'bigint'}`;
  });
  return { text, values };
}
