import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { cliInProcess } from './cli-in-process.js';
import { listAuditdCaptures, repoRoot } from '../support/truth.js';

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
const killedDb = join(dir, 'killed.db');
const killed = listAuditdCaptures().find((c) => c.meta.scenario === 'killed-by-signal')!;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = cliInProcess;

beforeAll(async () => {
  expect((await cli('ingest', '--db', execDb, execChainLogs)).code).toBe(0);
  expect((await cli('ingest', '--db', confusionDb, join(laurel, 'shell-proc-trace-confusion.txt'))).code).toBe(0);
  expect((await cli('ingest', '--db', killedDb, killed.logDir)).code).toBe(0);
});

/** epoch ns -> the seconds form TIME takes. */
const seconds = (ns: bigint): string => `${ns / 1_000_000_000n}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}`;

/**
 * killed-by-signal: bash 834 (`exec sleep 30`, child sleep 846) is SIGKILLed, which writes no
 * record; /proc then showed 846 under init. The first probe where the truth shows 846 under
 * pid 1 while the log still has 834 alive (it only learns of the reparent later).
 */
function reparentedProbe() {
  const probe = killed.truth.probes.find((p) => p.chain[0]!.pid === 846 && p.chain[0]!.ppid === 1);
  expect(probe, 'a probe of 846 after its parent was killed').toBeDefined();
  return probe!;
}

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
    expect(badTime.err).toMatch(/time zone/);
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
    const r = await cli('find', '--user', 'alice', '--db', execDb);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/RAW audit logs carry uids, not names, .* try --user UID/);
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

describe('uncertainty is shown, never silent', () => {
  it('marks a chain that stops short of init (no record names a parent) as UNCERTAIN, in text and JSON', async () => {
    const at = seconds(reparentedProbe().atNs);
    const json = JSON.parse((await cli('ancestry', '846', '--at', at, '--db', killedDb, '--json')).out);
    const last = json.chain.at(-1);
    expect(last.pid).not.toBe(1);
    expect(json.complete).toBe(false);
    expect(json.uncertain).toBe(true);
    expect(json.notes.join(' ')).toContain(`chain ends at pid ${last.pid}`);
    const text = (await cli('ancestry', '846', '--at', at, '--db', killedDb)).out;
    expect(text).toMatch(new RegExp(`UNCERTAIN:[\\s\\S]*chain ends at pid ${last.pid}`));
  });

  it('names the parent the log shows later when the recorded parent may have been killed before the time', async () => {
    const probe = reparentedProbe();
    const json = JSON.parse((await cli('ancestry', '846', '--at', seconds(probe.atNs), '--db', killedDb, '--json')).out);
    const parent = json.chain[1];
    expect(parent.notes.join(' ')).toMatch(/may have ended before this time/);
    // The alternative named is what /proc really showed.
    expect(parent.notes.join(' ')).toContain(`pid 846's parent was then pid ${probe.chain[0]!.ppid}`);
  });

  it('flags in tree --at the links that ancestry flags, with the reasons after the tree and in the JSON', async () => {
    const at = seconds(reparentedProbe().atNs);
    const ancestry = JSON.parse((await cli('ancestry', '846', '--at', at, '--db', killedDb, '--json')).out);
    const flagged = ancestry.chain.filter((l: { notes?: string[] }) => (l.notes ?? []).some((n) => !n.startsWith('started before'))).map((l: { pid: number }) => l.pid);
    expect(flagged.length).toBeGreaterThan(0);
    const tree = JSON.parse((await cli('tree', '--at', at, '--db', killedDb, '--json')).out);
    expect(tree.uncertain).toBe(true);
    const nodes = new Map<number, { notes?: string[] }>();
    const walk = (n: { pid: number; notes?: string[]; children: unknown[] }): void => {
      nodes.set(n.pid, n);
      n.children.forEach((c) => walk(c as typeof n));
    };
    tree.roots.forEach(walk);
    for (const pid of flagged) expect(nodes.get(pid)?.notes, `tree node ${pid}`).toBeDefined();
    const text = (await cli('tree', '--at', at, '--db', killedDb)).out;
    for (const pid of flagged) expect(text).toMatch(new RegExp(`\\(${pid}\\)[^\\n]* \\?`));
    expect(text).toMatch(/UNCERTAIN:/);
    // The dot form marks the same nodes.
    const dot = (await cli('tree', '--at', at, '--db', killedDb, '--format', 'dot')).out;
    expect(dot).toMatch(/style=dashed/);
  });

  it('rejects tree --json with a different --format instead of silently picking one', async () => {
    const r = await cli('tree', '--at', '1795589404.948', '--db', killedDb, '--json', '--format', 'dot');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--json and --format dot/);
    expect((await cli('tree', '--at', '1795589404.948', '--db', killedDb, '--json', '--format', 'json')).code).toBe(0);
  });
});

describe('descendants --at', () => {
  it('shows each process\'s start, and its end when known, as the JSON gives them', async () => {
    const at = seconds(reparentedProbe().atNs);
    const json = JSON.parse((await cli('descendants', '832', '--at', at, '--db', killedDb, '--json')).out);
    const text = (await cli('descendants', '832', '--at', at, '--db', killedDb)).out;
    const all: { pid: number; start: string; end: string | null; children: unknown[] }[] = [];
    const walk = (n: (typeof all)[number]): void => {
      all.push(n);
      n.children.forEach((c) => walk(c as (typeof all)[number]));
    };
    walk(json.root);
    expect(all.length).toBeGreaterThan(2);
    for (const n of all) {
      const line = text.split('\n').find((l) => l.includes(`(${n.pid})`))!;
      expect(line).toContain(n.start);
      if (n.end !== null) expect(line).toContain(n.end);
    }
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
      expect(r.out, name).toMatch(/--db FILE(\|URL)? .*default.*\.\/proc-tree\.db/);
    }
  });
});
