import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/** A value as COPY's text format writes it. */
export type CopyValue = string | number | bigint | boolean | null | undefined;

/** Characters COPY text format gives a meaning to: backslash, tab, newline, carriage return. */
const SPECIAL = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

function field(v: CopyValue): string {
  if (v === null || v === undefined) return '\\N';
  if (typeof v === 'string') return v.replace(SPECIAL, (c) => ESCAPES[c]!);
  if (typeof v === 'boolean') return v ? 't' : 'f';
  return String(v);
}

/** One row as a COPY text line. */
export function copyLine(values: readonly CopyValue[]): string {
  let line = '';
  for (let i = 0; i < values.length; i++) line += (i === 0 ? '' : '\t') + field(values[i]);
  return line + '\n';
}

/** Lines joined into chunks of about 64 KiB: one write per chunk, not per row. */
function* chunks(rows: Iterable<readonly CopyValue[]>): Generator<string> {
  let buf = '';
  for (const r of rows) {
    buf += copyLine(r);
    if (buf.length >= 65_536) {
      yield buf;
      buf = '';
    }
  }
  if (buf !== '') yield buf;
}

/**
 * Bulk-loads rows with COPY FROM STDIN (text format): one statement and one stream for the
 * whole batch instead of one INSERT round trip per row. Runs inside the caller's transaction.
 */
export async function copyRows(client: pg.Client | pg.PoolClient, table: string, columns: readonly string[], rows: Iterable<readonly CopyValue[]>): Promise<void> {
  const stream = client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`));
  await pipeline(Readable.from(chunks(rows)), stream);
}
