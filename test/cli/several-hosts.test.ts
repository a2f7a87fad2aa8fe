import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliInProcess as cli } from './cli-in-process.js';
import { auditdCapturesDir, loadCapture } from '../support/truth.js';

/**
 * A history of two hosts: two real captures (recorded without node=) ingested with
 * `--host a` and `--host b`. The review that found it: `ancestry PID --at T` for a pid of
 * host b answered "the history of host a begins ..." (a host picked silently). A query
 * without --host answers for the one host that recorded the pid and says so; several such
 * hosts are refused by name unless the time leaves one; none: said of every host.
 */
const A = loadCapture(join(auditdCapturesDir, 'exec-chain'));
const B = loadCapture(join(auditdCapturesDir, 'pid-namespace'));
const dir = mkdtempSync(join(tmpdir(), 'proc-tree-several-hosts-'));
const dbA = join(dir, 'a.db');
const dbB = join(dir, 'b.db');
const dbAB = join(dir, 'ab.db');
/** The same capture under two names: every pid alive on both at once. */
const dbAC = join(dir, 'ac.db');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ingest = async (db: string, host: string, logDir: string): Promise<void> => {
  expect((await cli('ingest', '--db', db, '--host', host, logDir)).code).toBe(0);
};

beforeAll(async () => {
  await ingest(dbA, 'a', A.logDir);
  await ingest(dbB, 'b', B.logDir);
  await ingest(dbAB, 'a', A.logDir);
  await ingest(dbAB, 'b', B.logDir);
  await ingest(dbAC, 'a', A.logDir);
  await ingest(dbAC, 'c', A.logDir);
});

/** Epoch ns as the CLI's TIME (seconds with 9 decimals). */
const time = (ns: bigint): string => `${ns / 1_000_000_000n}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}`;

interface Row {
  host: string;
  pid: number;
  start_ns: bigint;
  end_ns: bigint | null;
}

/** The rows of the two-host file, read as they are stored. */
function instances(): Row[] {
  const db = new Database(dbAB, { readonly: true });
  db.defaultSafeIntegers(true);
  try {
    const rows = db.prepare('SELECT h.name AS host, i.pid AS pid, i.start_ns, i.end_ns FROM instances i JOIN hosts h ON h.id = i.host_id').all() as Row[];
    return rows.map((r) => ({ ...r, pid: Number(r.pid) }));
  } finally {
    db.close();
  }
}

const pidsOf = (rows: Row[], host: string): Set<number> => new Set(rows.filter((r) => r.host === host).map((r) => r.pid));

/** [first, last] recorded time of a host (starts and ends). */
function span(rows: Row[], host: string): [bigint, bigint] {
  const times = rows.filter((r) => r.host === host).flatMap((r) => (r.end_ns === null ? [r.start_ns] : [r.start_ns, r.end_ns]));
  return [times.reduce((a, b) => (a < b ? a : b)), times.reduce((a, b) => (a > b ? a : b))];
}

/** A probe of the capture whose pid the other host never recorded. */
function probeOnlyOn(capture: typeof A, otherPids: Set<number>): { pid: number; at: string } {
  const probe = capture.truth.probes.find((p) => !otherPids.has(p.pid));
  expect(probe).toBeDefined();
  return { pid: probe!.pid, at: time(probe!.atNs) };
}

describe('a pid recorded on one host of several', () => {
  it('ancestry answers for that host and names it first; --json has its host', async () => {
    const rows = instances();
    for (const [capture, host, single, other] of [[A, 'a', dbA, 'b'], [B, 'b', dbB, 'a']] as const) {
      const { pid, at } = probeOnlyOn(capture, pidsOf(rows, other));
      const alone = await cli('ancestry', String(pid), '--at', at, '--db', single);
      expect(alone.code).toBe(0);
      expect(alone.out.startsWith('host ')).toBe(false); // a history of one host: unchanged
      const r = await cli('ancestry', String(pid), '--at', at, '--db', dbAB);
      expect(r.code).toBe(0);
      expect(r.out).toBe(`host ${host}:\n${alone.out}`);
      const json = await cli('ancestry', String(pid), '--at', at, '--db', dbAB, '--json');
      const aloneJson = JSON.parse((await cli('ancestry', String(pid), '--at', at, '--db', single, '--json')).out);
      expect(JSON.parse(json.out)).toEqual({ ...aloneJson, host });
      // --host given: the answer still names it.
      expect((await cli('ancestry', String(pid), '--at', at, '--db', dbAB, '--host', host)).out).toBe(`host ${host}:\n${alone.out}`);
    }
  });

  it('descendants, timeline and tree name the host the same way', async () => {
    const { pid, at } = probeOnlyOn(B, pidsOf(instances(), 'a'));
    for (const args of [['descendants', String(pid), '--at', at], ['timeline', String(pid)], ['timeline', String(pid), '--at', at], ['tree', String(pid), '--at', at], ['tree', '--at', at, '--host', 'b']]) {
      const alone = await cli(...args, '--db', dbB);
      expect(alone.code).toBe(0);
      const r = await cli(...args, '--db', dbAB);
      expect(r.code).toBe(0);
      expect(r.out).toBe(`host b:\n${alone.out}`);
      expect(JSON.parse((await cli(...args, '--db', dbAB, '--json')).out).host).toBe('b');
    }
  });

  it('at a time outside its host\'s history: says so of that host, never of another', async () => {
    const rows = instances();
    const { pid } = probeOnlyOn(B, pidsOf(rows, 'a'));
    const before = time(span(rows, 'b')[0] - 60_000_000_000n);
    for (const command of ['ancestry', 'descendants']) {
      const r = await cli(command, String(pid), '--at', before, '--db', dbAB);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(new RegExp(`^proc-tree ${command}: no process with pid ${pid} at .* on host b: the history of host b begins at `));
      expect(r.err).not.toMatch(/host a/);
    }
  });
});

describe('a pid recorded on several hosts', () => {
  /** A pid both captures recorded, with when each host's instance was alive (within its history). */
  function shared(): { pid: number; onA: bigint; onB: bigint; between: bigint } {
    const rows = instances();
    const onB = pidsOf(rows, 'b');
    const pid = [...pidsOf(rows, 'a')].find((p) => p > 1 && onB.has(p));
    expect(pid).toBeDefined();
    const spanA = span(rows, 'a');
    const spanB = span(rows, 'b');
    expect(spanA[1] < spanB[0]).toBe(true); // the captures do not overlap in time
    const mid = (host: string, [, end]: [bigint, bigint]): bigint => {
      const r = rows.find((i) => i.host === host && i.pid === pid)!;
      const last = r.end_ns === null || r.end_ns > end ? end : r.end_ns;
      return (r.start_ns + last) / 2n;
    };
    return { pid: pid!, onA: mid('a', spanA), onB: mid('b', spanB), between: (spanA[1] + spanB[0]) / 2n };
  }

  it('without a time: refused, naming the hosts', async () => {
    const { pid } = shared();
    const r = await cli('timeline', String(pid), '--db', dbAB);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`proc-tree timeline: pid ${pid} is on hosts a, b: pass --host NAME\n`);
    const given = await cli('timeline', String(pid), '--db', dbAB, '--host', 'a');
    expect(given.code).toBe(0);
    expect(given.out).toBe(`host a:\n${(await cli('timeline', String(pid), '--db', dbA)).out}`);
  });

  it('a time when it was alive on one host only: that host, and why', async () => {
    const { pid, onA, onB } = shared();
    for (const [at, host, single, other] of [[onA, 'a', dbA, 'b'], [onB, 'b', dbB, 'a']] as const) {
      for (const command of ['ancestry', 'descendants', 'timeline']) {
        const r = await cli(command, String(pid), '--at', time(at), '--db', dbAB);
        expect(r.code).toBe(0);
        const [first, ...rest] = r.out.split('\n');
        expect(first).toMatch(new RegExp(`^host ${host}: the only host where pid ${pid} was alive at \\S+ \\(pid ${pid} is also in the history of ${other}\\)$`));
        expect(rest.join('\n')).toBe((await cli(command, String(pid), '--at', time(at), '--db', single)).out);
      }
    }
  });

  it('a time when it was alive on none, or on several: refused, naming the hosts', async () => {
    const { pid, between } = shared();
    const none = await cli('ancestry', String(pid), '--at', time(between), '--db', dbAB);
    expect(none.code).toBe(1);
    expect(none.err).toMatch(new RegExp(`^proc-tree ancestry: pid ${pid} is on hosts a, b \\(alive at \\S+ within the history of none of them\\): pass --host NAME\\n$`));
    const probe = A.truth.probes[0]!;
    for (const command of ['ancestry', 'descendants']) {
      const both = await cli(command, String(probe.pid), '--at', time(probe.atNs), '--db', dbAC);
      expect(both.code).toBe(1);
      expect(both.err).toMatch(new RegExp(`^proc-tree ${command}: pid ${probe.pid} is on hosts a, c \\(alive at \\S+ on a, c\\): pass --host NAME\\n$`));
    }
  });
});

describe('a pid recorded on no host', () => {
  it('says so of every host', async () => {
    const pid = Math.max(...instances().map((r) => r.pid)) + 1;
    const at = time(A.truth.probes[0]!.atNs);
    for (const args of [['ancestry', String(pid), '--at', at], ['descendants', String(pid), '--at', at], ['timeline', String(pid)]]) {
      const r = await cli(...args, '--db', dbAB);
      expect(r.code).toBe(1);
      expect(r.err).toBe(`proc-tree ${args[0]}: pid ${pid} is not in the history of any host (a, b)\n`);
    }
  });
});

describe('explain on a history of several hosts', () => {
  it('finds the host of a node-less event by its pid and names it, as the history of that host alone does', async () => {
    const { pid } = probeOnlyOn(B, pidsOf(instances(), 'a'));
    const eventId = firstEventOf(pid);
    const single = await cli('explain', eventId, '--db', dbB);
    expect(single.code).toBe(0);
    const r = await cli('explain', eventId, '--db', dbAB);
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toMatch(/ on host b$/);
    expect(r.out).toBe(single.out);
  });
});

/** The audit id of the first SYSCALL record of pid in capture B's log. */
function firstEventOf(pid: number): string {
  for (const file of B.logFiles) {
    const line = readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith('type=SYSCALL') && l.includes(` pid=${pid} `));
    const m = line?.match(/msg=audit\(([\d.]+:\d+)\)/);
    if (m) return m[1]!;
  }
  throw new Error(`no SYSCALL record of pid ${pid} in ${B.logDir}`);
}
