import { createHash } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT_INCOMPLETE } from '../../src/cli/user-error.js';
import { cliInProcess, cliWithStdin } from '../cli/cli-in-process.js';
import { REPO_ROOT } from '../cli/cli-runner.js';
import { canonicalDump } from './canonical-dump.js';
import { killOnceCommitted } from './kill-once-committed.js';
import { ContentHash } from '../../src/ingest/content-hash.js';
import { hashFilePrefix, newPrefixHash, skipHashing } from '../../src/sources/prefix-hash.js';

// Each source's row keeps the SHA-256 of what was ingested from it (schema/005): a file that
// starts like a known log and has its size is only taken as that log when it hashes the same.
const LOGS = join(REPO_ROOT, 'samples', 'auditd', 'rotation', 'logs');
const ORIGINAL = join(LOGS, 'audit.log.2');
const work = mkdtempSync(join(tmpdir(), 'proc-tree-content-hash-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let n = 0;
const fresh = (name: string): string => join(work, `${++n}-${name}`);
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const lastLine = (err: string): string => err.trimEnd().split('\n').at(-1)!;

/**
 * The log with one digit changed (a pid= value past the first 4 KiB, outside the last
 * record): same length, same first 4096 bytes, same audit ids, same last record in place.
 */
function flipDigit(log: Buffer, after = 4096): Buffer {
  const text = log.toString('latin1');
  const lastLine = text.lastIndexOf('\n', text.length - 2);
  const at = text.indexOf(' pid=', after) + ' pid='.length;
  expect(at).toBeGreaterThan(after);
  expect(at).toBeLessThan(lastLine);
  const edited = Buffer.from(log);
  edited[at] = edited[at] === 0x39 ? 0x38 : edited[at]! + 1;
  return edited;
}

function rowsOf(db: string): { path: string; committed_offset: number; content_sha256: string | null; content_bytes: number | null }[] {
  const h = new Database(db, { readonly: true });
  try {
    return h.prepare('SELECT path, committed_offset, content_sha256, content_bytes FROM sources ORDER BY id').all() as never;
  } finally {
    h.close();
  }
}

describe('the content hash of each source', () => {
  it('is the SHA-256 of the file, in the summary (text and --json) and the source row', async () => {
    const db = fresh('h.db');
    const r = await cliInProcess('ingest', '--db', db, '--json', LOGS);
    expect(r.code).toBe(0);
    const inputs = (JSON.parse(r.out) as { inputs: { path: string; sha256: string; sha256Bytes: number }[] }).inputs;
    expect(inputs).toHaveLength(3);
    for (const i of inputs) {
      const bytes = readFileSync(i.path);
      expect([i.sha256, i.sha256Bytes]).toEqual([sha256(bytes), bytes.length]);
      expect(r.err).toContain(`${i.path} [auditd] read: ${bytes.length} bytes`);
      expect(r.err).toContain(`\n  ${i.path} (bytes 0..${bytes.length}): ${sha256(bytes)}\n`);
    }
    expect(rowsOf(db).map((row) => [row.path, row.content_sha256, row.content_bytes])).toEqual(inputs.map((i) => [i.path, i.sha256, i.sha256Bytes]));
    // Already ingested: the stored hash is shown.
    const again = await cliInProcess('ingest', '--db', db, ORIGINAL);
    expect(again.code).toBe(0);
    expect(again.err).toContain(`sha256 of what each holds as ingested:\n  ${ORIGINAL} (bytes 0..${readFileSync(ORIGINAL).length}): ${sha256(readFileSync(ORIGINAL))}\n`);
  });

  it('a same-length copy with one digit changed past the first 4 KiB, after the original: not taken as it, refused as an edited copy (exit 3, one line); an exact copy and the original add nothing (exit 0)', async () => {
    const db = fresh('h.db');
    expect((await cliInProcess('ingest', '--db', db, ORIGINAL)).code).toBe(0);
    const before = canonicalDump(db);
    const edited = fresh('edited.log');
    writeFileSync(edited, flipDigit(readFileSync(ORIGINAL)));
    const r = await cliInProcess('ingest', '--db', db, edited);
    expect(r.code).toBe(EXIT_INCOMPLETE);
    expect(r.err).not.toMatch(/already-ingested/);
    expect(lastLine(r.err)).toMatch(new RegExp(`^proc-tree ingest: ${edited} differs from ${ORIGINAL} \\(same first 4096 bytes and size, sha256 differs\\): an edited copy\\?; not ingested`));
    expect(r.err.trimEnd().split('\n').filter((l) => l.startsWith('proc-tree ingest:'))).toHaveLength(1);
    expect(canonicalDump(db)).toEqual(before);
    expect(rowsOf(db)).toHaveLength(1);

    const copy = fresh('copy.log');
    copyFileSync(ORIGINAL, copy);
    const same = await cliInProcess('ingest', '--db', db, ORIGINAL, copy);
    expect(same.code).toBe(0);
    expect(same.err.match(/already-ingested/g)).toHaveLength(2);
    expect(same.err).toMatch(new RegExp(`copy\\.log \\[auditd\\] already-ingested from byte \\d+: 0 bytes, 0 lines \\(same content \\(sha256 of its ${readFileSync(ORIGINAL).length} bytes\\) as ${ORIGINAL}, ingested \\S+\\)`));
    expect(canonicalDump(db)).toEqual(before);
  });

  it('the log itself edited in place (same length): refused as changed, exit 3, one line', async () => {
    const log = fresh('audit.log');
    copyFileSync(ORIGINAL, log);
    const db = fresh('h.db');
    expect((await cliInProcess('ingest', '--db', db, log)).code).toBe(0);
    const before = canonicalDump(db);
    writeFileSync(log, flipDigit(readFileSync(ORIGINAL)));
    const r = await cliInProcess('ingest', '--db', db, log);
    expect(r.code).toBe(EXIT_INCOMPLETE);
    expect(lastLine(r.err)).toMatch(new RegExp(`^proc-tree ingest: ${log} changed since it was ingested: its first \\d+ bytes no longer hash as ingested \\(sha256 was ${sha256(readFileSync(ORIGINAL))}\\)`));
    expect(canonicalDump(db)).toEqual(before);
  });

  it('a growing log resumes (its hash then that of the whole log, as one run gives); one whose ingested part was edited before it grew is refused', async () => {
    const whole = Buffer.concat([readFileSync(ORIGINAL), readFileSync(join(LOGS, 'audit.log.1'))]);
    // Grown by the next generation's records (a cut between events: one cut inside an event
    // leaves that event's first run without its later records, whatever the hash).
    const cut = readFileSync(ORIGINAL).length;
    const growing = fresh('audit.log');
    writeFileSync(growing, whole.subarray(0, cut));
    const db = fresh('h.db');
    expect((await cliInProcess('ingest', '--db', db, growing)).code).toBe(0);
    expect(rowsOf(db)[0]!.content_sha256).toBe(sha256(whole.subarray(0, rowsOf(db)[0]!.content_bytes!)));
    writeFileSync(growing, whole);
    const r = await cliInProcess('ingest', '--db', db, growing);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/resumed from byte \d+/);
    expect(rowsOf(db)[0]).toMatchObject({ content_sha256: sha256(whole), content_bytes: whole.length });
    const once = fresh('once.db');
    const onceLog = fresh('audit.log');
    writeFileSync(onceLog, whole);
    expect((await cliInProcess('ingest', '--db', once, onceLog)).code).toBe(0);
    const dump = (d: string) => JSON.stringify(canonicalDump(d)).replaceAll(onceLog, growing);
    expect(dump(db)).toEqual(dump(once));
    // Unchanged: nothing added.
    const again = await cliInProcess('ingest', '--db', db, growing);
    expect(again.code).toBe(0);
    expect(again.err).toMatch(/already-ingested/);

    // Ingested part edited (one digit past the first 4 KiB), then grown: not resumed.
    const other = fresh('audit.log');
    writeFileSync(other, whole.subarray(0, cut));
    const db2 = fresh('h.db');
    expect((await cliInProcess('ingest', '--db', db2, other)).code).toBe(0);
    const before = canonicalDump(db2);
    writeFileSync(other, Buffer.concat([flipDigit(whole.subarray(0, cut)), whole.subarray(cut)]));
    const e = await cliInProcess('ingest', '--db', db2, other);
    expect(e.code).toBe(EXIT_INCOMPLETE);
    expect(lastLine(e.err)).toMatch(new RegExp(`^proc-tree ingest: ${other} changed since it was ingested: its first \\d+ bytes no longer hash as ingested`));
    expect(canonicalDump(db2)).toEqual(before);
  });

  it('stdin and .gz resumed: what is skipped must hash as what was ingested', async () => {
    const whole = Buffer.concat([readFileSync(ORIGINAL), readFileSync(join(LOGS, 'audit.log.1'))]);
    const stdin = (bytes: Buffer, db: string) => cliWithStdin(Readable.from([bytes]), 'ingest', '--db', db, '-');
    const db = fresh('h.db');
    expect((await stdin(readFileSync(ORIGINAL), db)).code).toBe(0);
    const before = canonicalDump(db);
    const edited = await stdin(Buffer.concat([flipDigit(readFileSync(ORIGINAL)), readFileSync(join(LOGS, 'audit.log.1'))]), db);
    expect(edited.code).toBe(EXIT_INCOMPLETE);
    expect(lastLine(edited.err)).toMatch(/^proc-tree ingest: - starts like - .*does not continue it: its first 14991 bytes are not those ingested from it \(sha256 was [0-9a-f]{64}\)/);
    expect(canonicalDump(db)).toEqual(before);
    const grown = await stdin(whole, db);
    expect(grown.code).toBe(0);
    expect(grown.err).toMatch(/resumed from byte 14991/);
    expect(rowsOf(db)[0]).toMatchObject({ content_sha256: sha256(whole), content_bytes: whole.length });

    const gzDb = fresh('h.db');
    const plain = fresh('audit.log');
    writeFileSync(plain, readFileSync(ORIGINAL));
    expect((await cliInProcess('ingest', '--db', gzDb, plain)).code).toBe(0);
    const gzBefore = canonicalDump(gzDb);
    const gz = fresh('edited.log.gz');
    writeFileSync(gz, gzipSync(Buffer.concat([flipDigit(readFileSync(ORIGINAL)), readFileSync(join(LOGS, 'audit.log.1'))])));
    const g = await cliInProcess('ingest', '--db', gzDb, gz);
    expect(g.code).toBe(EXIT_INCOMPLETE);
    expect(lastLine(g.err)).toMatch(/edited\.log\.gz starts like .*does not continue it: its first 14991 bytes are not those ingested from it/);
    expect(canonicalDump(gzDb)).toEqual(gzBefore);
    const same = fresh('audit.log.2.gz');
    writeFileSync(same, gzipSync(readFileSync(ORIGINAL)));
    expect((await cliInProcess('ingest', '--db', gzDb, same)).code).toBe(0);
    expect(canonicalDump(gzDb)).toEqual(gzBefore);
  });

  it('a run killed between commits: each row hashes exactly its committed bytes, and the re-run ends with every whole file hashed', async () => {
    const logs = join(REPO_ROOT, 'samples', 'auditd', 'busy-machine-rotation', 'logs');
    const input = fresh('busy');
    mkdirSync(input);
    for (const f of readdirSync(logs)) copyFileSync(join(logs, f), join(input, f));
    // In the parse worker (the stage hashes what it reads from byte 0) and inline.
    for (const where of ['worker', 'inline']) {
    const db = fresh('h.db');
    const cli = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
    const child = spawn(process.execPath, [cli, 'ingest', '--db', db, '--commit-every', '300', input], { stdio: 'ignore', env: { ...process.env, PROC_TREE_PARSE_IN: where } });
    const exited = new Promise<void>((done) => child.on('exit', () => done()));
    expect(await killOnceCommitted(child, exited, db)).toBe(true);
    // (The resume point trails the reader by 8192 lines: a killed run's rows stand at a start or an end here; commits inside a piece are checked below.)
    for (const row of rowsOf(db)) {
      expect(row.content_bytes, row.path).toBe(row.committed_offset);
      expect(row.content_sha256, row.path).toBe(sha256(readFileSync(row.path).subarray(0, row.committed_offset)));
    }
    expect((await cliInProcess('ingest', '--db', db, '--commit-every', '300', input)).code).toBe(0);
    for (const row of rowsOf(db)) expect([row.content_sha256, row.content_bytes], row.path).toEqual([sha256(readFileSync(row.path)), readFileSync(row.path).length]);
    // Read whole in the worker: each file's hash, in the summary and the rows.
    const whole = fresh('h.db');
    const r = spawnSync(process.execPath, [cli, 'ingest', '--db', whole, '--json', '--commit-every', '300', input], { encoding: 'utf8', env: { ...process.env, PROC_TREE_PARSE_IN: where } });
    expect(r.status).toBe(0);
    for (const i of (JSON.parse(r.stdout) as { inputs: { path: string; sha256: string; sha256Bytes: number }[] }).inputs) expect([i.sha256, i.sha256Bytes]).toEqual([sha256(readFileSync(i.path)), readFileSync(i.path).length]);
    for (const row of rowsOf(whole)) expect([row.content_sha256, row.content_bytes], row.path).toEqual([sha256(readFileSync(row.path)), readFileSync(row.path).length]);
    }
  }, 120_000);

  it('ingest --follow keeps the hash too: a followed log, stopped, hashes its committed bytes; a plain ingest then resumes it (the prefix matching) to the whole hash', async () => {
    const whole = Buffer.concat([readFileSync(ORIGINAL), readFileSync(join(LOGS, 'audit.log.1')), readFileSync(join(LOGS, 'audit.log'))]);
    const log = fresh('audit.log');
    writeFileSync(log, whole.subarray(0, readFileSync(ORIGINAL).length));
    const db = fresh('h.db');
    expect((await cliInProcess('ingest', '--db', db, log)).code).toBe(0);
    writeFileSync(log, whole.subarray(0, whole.length - readFileSync(join(LOGS, 'audit.log')).length));
    const cli = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
    const followed = spawnSync(process.execPath, [cli, 'ingest', '--follow', '--duration', '1', '--db', db, log], { encoding: 'utf8' });
    expect(followed.status).toBe(0);
    const row = rowsOf(db)[0]!;
    expect(row.committed_offset).toBeGreaterThan(readFileSync(ORIGINAL).length);
    expect([row.content_sha256, row.content_bytes]).toEqual([sha256(whole.subarray(0, row.committed_offset)), row.committed_offset]);
    writeFileSync(log, whole);
    const r = await cliInProcess('ingest', '--db', db, log);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/resumed from byte/);
    expect(rowsOf(db)[0]).toMatchObject({ content_sha256: sha256(whole), content_bytes: whole.length });
  }, 60_000);
});

describe('ContentHash and the prefix hashes, on a real log cut into pieces', () => {
  const log = readFileSync(join(REPO_ROOT, 'samples', 'auditd', 'busy-machine-rotation', 'logs', 'audit.log'));
  const starts = [...log.toString('latin1').matchAll(/\n/g)].map((m) => m.index! + 1);
  const pieces = (size: number): Buffer[] => {
    const out: Buffer[] = [];
    for (let at = 0; at < log.length; at += size) out.push(log.subarray(at, at + size));
    return out;
  };

  it('gives the SHA-256 of bytes 0..offset at each commit, whatever the pieces (the offset inside a piece, or several pieces behind)', () => {
    for (const size of [4096, 65_536, 200_000]) {
      const h = ContentHash.fresh();
      let read = 0;
      let committed = 0;
      for (const piece of pieces(size)) {
        h.push(piece);
        read += piece.length;
        // Commit at a line start some way behind what was read, as the resume point trails.
        const at = starts.filter((o) => o <= read - 2 * size).at(-1);
        if (at === undefined || at <= committed) continue;
        expect(h.at(at)).toEqual({ sha256: sha256(log.subarray(0, at)), bytes: at });
        committed = at;
      }
      expect(committed).toBeGreaterThan(0);
      expect(h.at(log.length)).toEqual({ sha256: sha256(log), bytes: log.length });
      expect(h.at(0)).toEqual({ sha256: sha256(Buffer.alloc(0)), bytes: 0 });
      expect(h.at(10)).toBeUndefined(); // behind what was hashed
    }
  });

  it('hashFilePrefix and skipHashing: the state after `from` bytes goes on to the whole hash, and a changed prefix does not match', async () => {
    const file = fresh('audit.log');
    writeFileSync(file, log);
    const from = starts[starts.length >> 1]!;
    const digest = { sha256: sha256(log.subarray(0, from)), bytes: from };
    const p = await hashFilePrefix(file, from, digest);
    expect(p.matches).toBe(true);
    expect(p.hash.update(log.subarray(from)).digest('hex')).toBe(sha256(log));
    expect((await hashFilePrefix(file, 0, { sha256: sha256(log), bytes: log.length })).matches).toBe(true);
    expect((await hashFilePrefix(file, 0, { sha256: sha256(log), bytes: log.length + 1 })).matches).toBe(false);
    writeFileSync(file, flipDigit(log));
    expect((await hashFilePrefix(file, from, digest)).matches).toBe(false);

    for (const size of [1000, 65_536]) {
      const out = newPrefixHash();
      const rest: Buffer[] = [];
      for await (const chunk of skipHashing((async function* () { yield* pieces(size); })(), from, digest, out)) rest.push(chunk);
      expect(out.matches).toBe(true);
      expect(Buffer.concat(rest)).toEqual(log.subarray(from));
      expect(out.hash.update(Buffer.concat(rest)).digest('hex')).toBe(sha256(log));
      const edited = newPrefixHash();
      const flipped = flipDigit(log);
      for await (const _ of skipHashing((async function* () { yield flipped; })(), from, digest, edited)) void _;
      expect(edited.matches).toBe(false);
      const short = newPrefixHash();
      for await (const _ of skipHashing((async function* () { yield log.subarray(0, from - 1); })(), from, digest, short)) void _;
      expect(short.matches).toBe(false);
    }
  });
});
