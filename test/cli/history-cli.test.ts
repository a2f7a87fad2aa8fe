import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliInProcess } from './cli-in-process.js';
import { repoRoot } from '../support/truth.js';

const laurel = resolve(repoRoot, '..', 'shared', 'corpus', 'public', 'laurel');
const dir = mkdtempSync(join(tmpdir(), 'proc-tree-cli-'));
const db = join(dir, 'h.db');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = cliInProcess;

beforeAll(async () => {
  const r = await cli('ingest', '--db', db, join(laurel, 'shell-proc-trace.txt'), join(laurel, 'shell-proc-trace-confusion.txt'));
  expect(r.code).toBe(0);
});

describe('history commands', () => {
  it('ingest prints a summary with inputs, lines, events by kind, instances and speed on stderr', async () => {
    const r = await cli('ingest', '--db', join(dir, 'other.db'), join(laurel, 'fork-sleep-exec.txt'));
    expect(r.code).toBe(0);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/fork-sleep-exec\.txt \[auditd\] read/);
    expect(r.err).toMatch(/events: .*exec 2/);
    expect(r.err).toMatch(/instances: \d+ opened/);
    expect(r.err).toMatch(/lines\/s/);
  });

  it('ancestry --at --json gives the chain self first with the documented fields', async () => {
    const r = await cli('ancestry', '71509', '--at', '2023-04-27T15:24:05.540Z', '--db', db, '--json');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out);
    expect(json.pid).toBe(71509);
    expect(json.at).toBe('2023-04-27T15:24:05.540000000Z');
    expect(json.chain.map((l: { pid: number }) => l.pid)).toEqual([71509, 71506, 71505, 71432, 3505]);
    expect(Object.keys(json.chain[0])).toEqual(expect.arrayContaining(['pid', 'ppid', 'cmd', 'exe', 'user', 'uid', 'start', 'end']));
    expect(json.chain[0].cmd).toBe('/bin/sed -e s/foo/bar/');
    expect(json.chain[0].ppid).toBe(71506);
    expect(typeof json.uncertain).toBe('boolean');
  });

  it('ancestry --at for a pid with no process then fails with a clear message and a non-zero exit', async () => {
    const r = await cli('ancestry', '71509', '--at', '1682609045.000', '--db', db);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/no process with pid 71509 at 2023-04-27T15:24:05\.000000000Z/);
  });

  it('ancestry --at on a missing database says how to create one', async () => {
    const r = await cli('ancestry', '1', '--at', '1682609045', '--db', join(dir, 'nope.db'));
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/proc-tree ingest/);
  });

  it('timeline shows both holders of a reused pid', async () => {
    const r = await cli('timeline', '2655', '--db', db);
    expect(r.code).toBe(0);
    const lines = r.out.split('\n').filter((l) => /^. pid 2655:/.test(l));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/gone by \(pid-reused\)/);
    expect(lines[1]).toMatch(/forked by 2542/);
  });

  it('tree, descendants and find answer about the same moment consistently', async () => {
    const tree = await cli('tree', '71505', '--at', '1682609045.540', '--db', db, '--format', 'json');
    expect(tree.code).toBe(0);
    const root = JSON.parse(tree.out).roots[0];
    expect(root.pid).toBe(71505);
    expect(root.children.map((c: { pid: number }) => c.pid)).toEqual([71506, 71507]);

    const desc = await cli('descendants', '71505', '--from', '1682609045', '--to', '1682609046', '--db', db, '--json');
    expect(desc.code).toBe(0);
    expect(JSON.parse(desc.out).count).toBe(4);

    const found = await cli('find', '--cmd', 'sed', '--at', '1682609045.540', '--db', db, '--json');
    expect(JSON.parse(found.out).processes.map((p: { pid: number }) => p.pid)).toEqual([71509]);

    const dot = await cli('tree', '--at', '1682609045.540', '--db', db, '--format', 'dot', '--host', '');
    expect(dot.out).toMatch(/^digraph proc_tree \{/);
  });

  it('rejects a malformed time with a one-line message', async () => {
    const r = await cli('ancestry', '1', '--at', 'yesterday', '--db', db);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/cannot read time 'yesterday'/);
  });
});
