/**
 * `cat audit.log | proc-tree ingest -` records its evidence as `-`, which nothing can open
 * later: ingest says so in one stderr line, explain says so when it would need to read it,
 * and `--source-name PATH` records the log under its own name instead, so explain without
 * INPUT reads it as if it had been ingested by path. Real capture: samples/auditd/net-files-login.
 */
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
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
