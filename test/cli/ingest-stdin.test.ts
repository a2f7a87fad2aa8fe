/**
 * `cat audit.log | proc-tree ingest -` records its evidence as `-`, which nothing can open
 * later: ingest says so in one stderr line, explain says so when it would need to read it,
 * and `--source-name PATH` records the log under its own name instead, so explain without
 * INPUT reads it as if it had been ingested by path. Real capture: samples/auditd/net-files-login.
 */
import Database from 'better-sqlite3';
import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listAuditdCaptures } from '../support/truth.js';
import { cliInProcess, cliWithStdin } from './cli-in-process.js';

const dir = mkdtempSync(join(tmpdir(), 'proc-tree-ingest-stdin-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const net = listAuditdCaptures().find((c) => c.meta.name === 'net-files-login')!;
const other = listAuditdCaptures().find((c) => c.meta.name === 'exec-chain')!;
const log = net.logFiles.at(-1)!;

/** The CLI with `file` on its stdin. */
const withStdin = (file: string, ...args: string[]) => cliWithStdin(createReadStream(file), ...args);

/** The first connect event of the capture, as enrich lists it. */
async function connectId(): Promise<string> {
  const r = await cliInProcess('enrich', net.logDir, '--db', join(dir, 'ids.db'), '--types', 'SOCKADDR');
  const ids = r.out.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, any>);
  return ids.find((d) => d.records[0].fields.key === 'proctree-net')!.event.id as string;
}

describe('ingest from stdin', () => {
  it('warns in one line that stdin cannot be re-read; explain then says so and what to do', async () => {
    expect(net.logFiles).toHaveLength(1);
    const id = await connectId();
    const db = join(dir, 'stdin.db');
    const r = await withStdin(log, 'ingest', '--db', db, '-');
    expect(r.code).toBe(0);
    const warning = r.err.split('\n').filter((l) => l.startsWith('proc-tree ingest:'));
    expect(warning).toEqual([expect.stringMatching(/reading stdin \(-\): evidence will cite '-', .*cannot re-read.*pass the log's path instead, or --source-name PATH/)]);
    const without = await cliInProcess('explain', id, '--db', db);
    expect(without.code).toBe(1);
    expect(without.err.trim().split('\n')).toEqual([expect.stringMatching(/^proc-tree explain: this history was read from stdin \('-'\) at ingest, which cannot be read again: give the log that holds the event as INPUT/)]);
    const given = await cliInProcess('explain', id, log, '--db', db);
    expect(given.code).toBe(0);
    expect(given.out).toMatch(/\[-:\d+ /);
    expect(given.out).toContain('[-:LINE] is evidence read from stdin at ingest');
    // A file ingested by path has no such note.
    const byPath = await cliInProcess('explain', id, log, '--db', join(dir, 'by-path.db'));
    expect(byPath.code).toBe(0);
    expect(byPath.out).not.toContain('[-:');
    expect(byPath.out).not.toContain('read from stdin');
  });

  it('--source-name PATH: no warning, evidence cites PATH, explain without INPUT is what a by-path ingest gives', async () => {
    const id = await connectId();
    const named = join(dir, 'named.db');
    const r = await withStdin(log, 'ingest', '--db', named, '--source-name', log, '-');
    expect(r.code).toBe(0);
    expect(r.err).not.toContain('reading stdin');
    const byPath = join(dir, 'path.db');
    expect((await cliInProcess('ingest', '--db', byPath, log)).code).toBe(0);
    const a = await cliInProcess('explain', id, '--db', named, '--json');
    const b = await cliInProcess('explain', id, '--db', byPath, '--json');
    expect(a.code).toBe(0);
    expect(a.out).toBe(b.out);
    expect(a.out).toContain(JSON.stringify(log));
    const text = await cliInProcess('explain', id, '--db', named);
    expect(text.out).toContain(`[${log}:`);
    expect(text.out).not.toContain('[-:');
  });

  it('a history partly from stdin: an event not in its named logs is said to be maybe in the stdin part', async () => {
    const id = await connectId();
    const db = join(dir, 'mixed.db');
    expect((await cliInProcess('ingest', '--db', db, '--host', 'other', other.logDir)).code).toBe(0);
    expect((await withStdin(log, 'ingest', '--db', db, '--host', 'net', '-')).code).toBe(0);
    const r = await cliInProcess('explain', id, '--db', db);
    expect(r.code).toBe(1);
    expect(r.err.trim().split('\n')).toEqual([expect.stringMatching(/^proc-tree explain: no event .* \(\d+ events read\); the rest of this history was read from stdin \('-'\) at ingest, which cannot be read again/)]);
  });

  it('--source-name without - as INPUT, or an empty or control-character name: one line, exit 2', async () => {
    for (const args of [['--source-name', 'x', log], ['--source-name', '', '-'], ['--source-name', 'a\x1b[2Jb', '-']]) {
      const r = await cliInProcess('ingest', '--db', join(dir, 'bad.db'), ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
  });
});

describe('a rotated set ingested joined (stdin or one file), then its directory', () => {
  // The review: `cat audit.log.2 audit.log.1 audit.log | proc-tree ingest -`, then the
  // directory: audit.log.2 (the start of what stdin held, the same first 4096 bytes) was
  // said to be "shorter than ... not the same file any more?", and alone it gave exit 1
  // "nothing ingested ... not an audit log?". It repeats what stdin read: refused as a
  // repeat (exit 3), saying so and that the history holds its records.
  for (const name of ['rotation', 'busy-machine-rotation']) {
    const capture = listAuditdCaptures().find((c) => c.meta.name === name)!;
    // Oldest first, as the rotation numbers say (audit.log.2, audit.log.1, audit.log).
    const files = [...capture.logFiles].sort((a, b) => generation(b) - generation(a));
    const first = files[0]!;

    it(`${name}: the oldest log is named as the start of what was read joined, exit 3, nothing stored twice`, async () => {
      expect(files.length).toBeGreaterThan(2);
      const joined = join(dir, `${name}-joined.log`);
      writeFileSync(joined, Buffer.concat(files.map((f) => readFileSync(f))));
      for (const [how, from] of [['stdin', "stdin \\('-'\\)"], ['file', escapeRe(joined)]] as const) {
        const db = join(dir, `${name}-${how}.db`);
        const once = how === 'stdin' ? await withStdin(joined, 'ingest', '--db', db, '-') : await cliInProcess('ingest', '--db', db, joined);
        expect(once.code).toBe(0);
        const before = counts(db);
        for (const args of [[first], [capture.logDir]]) {
          const r = await cliInProcess('ingest', '--db', db, ...args);
          expect(r.code, `${how} ${args}`).toBe(3);
          expect(r.err).not.toMatch(/not the same file any more|nothing ingested/);
          const line = r.err.split('\n').find((l) => l.includes(`${first} [auditd] skipped`));
          expect(line).toMatch(new RegExp(`repeats records already ingested from ${from} \\(audit ids [\\d.:]+\\): it begins as that input did \\(the same first 4096 bytes\\) and ends earlier \\(${statSync(first).size} of its ${statSync(joined).size} bytes\\).*not ingested again: the history holds its records already`));
          expect(counts(db)).toEqual(before);
        }
      }
    });
  }

  it('a shorter copy of the joined logs that reaches their last record (lines cut from the middle) is not called their start', async () => {
    const capture = listAuditdCaptures().find((c) => c.meta.name === 'rotation')!;
    const files = [...capture.logFiles].sort((a, b) => generation(b) - generation(a));
    const joined = join(dir, 'whole-joined.log');
    writeFileSync(joined, Buffer.concat(files.map((f) => readFileSync(f))));
    const lines = readFileSync(joined, 'latin1').split(/(?<=\n)/);
    const cut = join(dir, 'cut-joined.log');
    const mid = lines.length >> 1;
    writeFileSync(cut, [...lines.slice(0, mid), ...lines.slice(mid + 20)].join(''), 'latin1');
    const db = join(dir, 'cut.db');
    expect((await withStdin(joined, 'ingest', '--db', db, '-')).code).toBe(0);
    const before = counts(db);
    const r = await cliInProcess('ingest', '--db', db, cut);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(new RegExp(`${escapeRe(cut)} repeats records already ingested from stdin \\('-'\\) .*it begins as that input did \\(the same first 4096 bytes\\) and holds records up to its last in fewer bytes .*a cut or edited copy of it\\?; not ingested`));
    expect(r.err).not.toMatch(/holds its records already|not the same file any more/);
    expect(counts(db)).toEqual(before);
  });
});

/** N of audit.log.N (0 for audit.log). */
const generation = (file: string): number => Number(/\.(\d+)$/.exec(file)?.[1] ?? 0);
const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Rows per table of a history file: what a refused input must leave as it was. */
function counts(db: string): Record<string, number> {
  const h = new Database(db, { readonly: true });
  try {
    return Object.fromEntries(['instances', 'parents', 'images', 'sources'].map((t) => [t, (h.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n]));
  } finally {
    h.close();
  }
}
