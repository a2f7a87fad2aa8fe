import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { cliInProcess } from './cli-in-process.js';
import { repoRoot } from '../support/truth.js';

/**
 * The history query commands as an incident responder meets them: real captures ingested
 * (samples/auditd/exec-chain, laurel's pid-reuse confusion trace), then the mistakes and
 * readings that confused a first-time user.
 */
const laurel = resolve(repoRoot, '..', 'shared', 'corpus', 'public', 'laurel');
const execChainLogs = join(repoRoot, 'samples', 'auditd', 'exec-chain', 'logs');
const dir = mkdtempSync(join(tmpdir(), 'proc-tree-query-cli-'));
const execDb = join(dir, 'exec-chain.db');
const confusionDb = join(dir, 'confusion.db');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = cliInProcess;

beforeAll(async () => {
  expect((await cli('ingest', '--db', execDb, execChainLogs)).code).toBe(0);
  expect((await cli('ingest', '--db', confusionDb, join(laurel, 'shell-proc-trace-confusion.txt'))).code).toBe(0);
});

describe('TIME arguments', () => {
  it('rejects epoch nanoseconds pasted as seconds with a usage error that shows the seconds form', async () => {
    // The `atNs` of our own JSON (and of the truth files) pasted as TIME.
    const r = await cli('ancestry', '3664', '--at', '1795589294272526173', '--db', execDb);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toContain('write 1795589294.272526173');
  });

  it('gives a bad TIME the same usage exit status as a bad PID', async () => {
    const badTime = await cli('tree', '--at', '2026-11-25T06:48:14', '--db', execDb);
    const badPid = await cli('tree', 'x', '--at', '1795589294', '--db', execDb);
    expect(badTime.err).toMatch(/with a zone/);
    expect(badTime.code).toBe(badPid.code);
  });
});

describe('--db mistakes', () => {
  it('names a directory given as --db instead of reporting a disk I/O error', async () => {
    const d = join(dir, 'a-directory');
    mkdirSync(d);
    for (const args of [['tree', '--at', '1'], ['find', '--cmd', 'x'], ['timeline', '1']]) {
      const r = await cli(...args, '--db', d);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/a-directory is a directory, not a history database/);
    }
  });

  it('explains that history options need --at when ancestry is asked without it', async () => {
    for (const option of ['--db', '--host', '--lineage']) {
      const r = await cli('ancestry', '1', option, 'x');
      expect(r.code).toBe(2);
      expect(r.err).toContain(`${option} needs --at TIME`);
    }
  });
});

describe('find', () => {
  it('exits 1 for no match with --json as without it', async () => {
    const text = await cli('find', '--cmd', 'no-such-program-anywhere', '--db', execDb);
    const json = await cli('find', '--cmd', 'no-such-program-anywhere', '--db', execDb, '--json');
    expect(text.code).toBe(1);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.out)).toEqual({ count: 0, processes: [] });
  });

  it('hints at uids when a user name matches nothing in a raw (uid-only) log', async () => {
    const r = await cli('find', '--user', 'root', '--db', execDb);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/try --user UID/);
    expect((await cli('find', '--user', '0', '--db', execDb)).code).toBe(0);
  });

  it('names the matched command with the same JSON fields as the other commands', async () => {
    const r = await cli('find', '--cmd', 'sleep 0.5', '--db', execDb, '--json');
    expect(r.code).toBe(0);
    const p = JSON.parse(r.out).processes[0];
    expect(p.cmd).toContain('sleep 0.5');
    expect(p.exe).toMatch(/^\//);
    expect(p.uid).toBe(0);
  });

  it('keeps the START column aligned when some starts are only "seen since" (~)', async () => {
    const r = await cli('find', '--user', '0', '--db', execDb);
    const lines = r.out.trimEnd().split('\n').slice(1);
    expect(lines.some((l) => l.includes('~'))).toBe(true);
    expect(lines.some((l) => !l.includes('~'))).toBe(true);
    const columns = new Set(lines.map((l) => l.search(/\d{4}-\d\d-\d\dT/)));
    expect(columns.size).toBe(1);
  });
});

describe('ancestry --at', () => {
  it('keeps the START column aligned when some starts are only "seen since" (~)', async () => {
    const r = await cli('ancestry', '3664', '--at', '1795589294.272526173', '--db', execDb);
    expect(r.code).toBe(0);
    const rows = r.out.split('\n').filter((l) => /^\d+ /.test(l));
    expect(rows.length).toBeGreaterThan(2);
    expect(new Set(rows.map((l) => l.search(/\d{4}-\d\d-\d\dT/))).size).toBe(1);
  });

  it('on the laurel confusion trace, names the later csh as parent and flags its same-millisecond exec', async () => {
    const r = await cli('ancestry', '2656', '--at', '1697091526.357', '--db', confusionDb, '--json');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out);
    const parent = json.chain[1];
    expect(parent.pid).toBe(2655);
    expect(parent.ppid).toBe(2542); // the csh's fork of 2655, not the stale rm (ppid 2643)
    expect(parent.exe).not.toBe('/usr/bin/rm');
    expect(json.uncertain).toBe(true);
    expect(parent.notes.join(' ')).toMatch(/exec'd 'awk.*at exactly this time.*'-csh -c \/tmp\/REDACTED\.csh'/);
  });
});

describe('descendants --from/--to', () => {
  it('shows every command a process exec\'d in the window, not only its last', async () => {
    const r = await cli('descendants', '3643', '--from', '1795589291', '--to', '1795589308', '--db', execDb, '--json');
    expect(r.code).toBe(0);
    const root = JSON.parse(r.out).root;
    const shell = root.children.find((c: { pid: number }) => c.pid === 3657);
    expect(shell.execs[0]).toMatch(/^bash -c sleep 0\.2/);
    expect(shell.execs.at(-1)).toBe('sleep 0.5');
    expect(shell.children.map((c: { pid: number }) => c.pid)).toEqual([3662, 3663]);
    const text = await cli('descendants', '3643', '--from', '1795589291', '--to', '1795589308', '--db', execDb);
    expect(text.out).toMatch(/bash -c sleep 0\.2.* → .*sleep 0\.5\(3657\)/);
  });
});

describe('help', () => {
  it('only mentions commands that exist', async () => {
    for (const name of Object.keys(COMMANDS)) {
      const r = await cli(name, '--help');
      expect(r.code).toBe(0);
      for (const m of r.out.matchAll(/proc-tree ([a-z][a-z-]*)/g)) expect(Object.keys(COMMANDS), `${name} --help`).toContain(m[1]);
    }
  });

  it('documents TIME with an epoch and a zoned ISO example for every command that takes one', async () => {
    for (const name of ['ancestry', 'tree', 'descendants', 'find', 'timeline']) {
      const r = await cli(name, '--help');
      expect(r.out, name).toMatch(/\d{10}\.\d+/);
      expect(r.out, name).toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/);
      expect(r.out, name).toMatch(/--db FILE .*default \.\/proc-tree\.db/);
    }
  });
});
