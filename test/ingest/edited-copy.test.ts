/**
 * An input recognised by its head and size as a source ingested before: an edited copy of
 * the same length (the edit past the first 4096 bytes) is refused as an edited copy, not as
 * "a concatenation, copy or extract"; a .gz of the same log is said to have the same content
 * (sha256 compared, decompressed), with the source's ingest time exact to the nanosecond.
 */
import Database from 'better-sqlite3';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { cliInProcess } from '../cli/cli-in-process.js';
import { formatTimeNs } from '../../src/time/format-time.js';
import { repoRoot } from '../support/truth.js';

const LOGS = join(repoRoot, 'samples', 'auditd', 'rotation', 'logs');
const dir = mkdtempSync(join(tmpdir(), 'proc-tree-edited-copy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const lastLine = (err: string): string => err.trimEnd().split('\n').at(-1)!;

function ingested(name: string): { logs: string; db: string } {
  const logs = join(dir, name, 'real');
  cpSync(LOGS, logs, { recursive: true });
  return { logs, db: join(dir, name, 'h.db') };
}

describe('an input with the head and size of a source ingested before', () => {
  it('a same-length edit past its first 4096 bytes, at another path: refused as an edited copy (exit 3)', async () => {
    const { logs, db } = ingested('edit');
    expect((await cliInProcess('ingest', '--db', db, logs)).code).toBe(0);
    const original = readFileSync(join(logs, 'audit.log.1'));
    const at = original.indexOf(' pid=', 4096) + 5;
    expect(at).toBeGreaterThan(4096);
    const edited = Buffer.from(original);
    edited[at] = edited[at] === 0x31 ? 0x32 : 0x31;
    const copy = join(dir, 'edit', 'edited.log');
    writeFileSync(copy, edited);
    const r = await cliInProcess('ingest', '--db', db, copy);
    expect(r.code).toBe(3);
    expect(lastLine(r.err)).toBe(
      `proc-tree ingest: ${copy} differs from ${join(logs, 'audit.log.1')} (same first 4096 bytes and size, sha256 differs): an edited copy?; not ingested (its records repeat those ingested from it): ingest it into another --db to look at it apart`,
    );
  });

  it('a .gz of it: "same content (sha256 ...)", the ingest time as stored (no float rounding)', async () => {
    const { logs, db } = ingested('gz');
    expect((await cliInProcess('ingest', '--db', db, logs)).code).toBe(0);
    const gz = join(dir, 'gz', 'audit.log.1.gz');
    writeFileSync(gz, gzipSync(readFileSync(join(logs, 'audit.log.1'))));
    expect((await cliInProcess('ingest', '--db', db, gz)).code).toBe(0);
    // An ingest time a double cannot hold (2^53 < 1.8e18): shown as stored, or not at all.
    const h = new Database(db);
    h.prepare('UPDATE sources SET last_ingest_ns = ? WHERE path = ?').run(1796396239452000001n, join(logs, 'audit.log.1'));
    h.close();
    const again = await cliInProcess('ingest', '--db', db, gz);
    expect(again.code).toBe(0);
    const bytes = readFileSync(join(logs, 'audit.log.1')).length;
    expect(again.err).toContain(`(same content (sha256 of its ${bytes} bytes) as ${join(logs, 'audit.log.1')}, ingested ${formatTimeNs(1796396239452000001n)})`);
    expect(formatTimeNs(1796396239452000001n)).toMatch(/\.452000001Z$/);
    expect(again.err).not.toContain('the rest is not compared');
  });

  it('a .gz of it, the first time: already ingested (same content), and the log keeps its own row (a plain re-run: already ingested)', async () => {
    const { logs, db } = ingested('gz-first');
    expect((await cliInProcess('ingest', '--db', db, logs)).code).toBe(0);
    const plain = join(logs, 'audit.log.1');
    const gz = join(dir, 'gz-first', 'audit.log.1.gz');
    writeFileSync(gz, gzipSync(readFileSync(plain)));
    const first = await cliInProcess('ingest', '--db', db, gz, '--json');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.out).inputs[0]).toMatchObject({ path: gz, status: 'already-ingested', bytes: 0 });
    expect(first.err).toContain(`same content (sha256 of its ${readFileSync(plain).length} bytes) as ${plain}`);
    const h = new Database(db, { readonly: true });
    expect(h.prepare('SELECT size FROM sources WHERE path = ?').get(plain)).toEqual({ size: readFileSync(plain).length });
    h.close();
    const rerun = await cliInProcess('ingest', '--db', db, plain, '--json');
    expect(JSON.parse(rerun.out).inputs[0]).toMatchObject({ path: plain, status: 'already-ingested' });
    // A .gz holding more than the log (it went on before being compressed) is read on.
    const longer = join(dir, 'gz-first', 'longer.log.gz');
    const more = readFileSync(join(logs, 'audit.log'));
    writeFileSync(longer, gzipSync(Buffer.concat([readFileSync(plain), more])));
    const grown = await cliInProcess('ingest', '--db', db, longer, '--json');
    expect(JSON.parse(grown.out).inputs[0].status).not.toBe('already-ingested');
  });
});
