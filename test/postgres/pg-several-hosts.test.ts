/**
 * A history of two hosts on PostgreSQL answers as on SQLite: which host a query without
 * --host takes, how it names it, the refusals naming the hosts and "not in the history of
 * any host" (test/cli/several-hosts.test.ts holds the SQLite cases). Two real captures
 * recorded without node=, ingested with --host a and --host b into one database of each kind.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliInProcess } from '../cli/cli-in-process.js';
import { freshDatabase, type TestDatabase } from '../support/postgres-database.js';
import { auditdCapturesDir, loadCapture } from '../support/truth.js';
import { renumberIds, seconds } from './row-id-neutral.js';

const A = loadCapture(join(auditdCapturesDir, 'exec-chain'));
const B = loadCapture(join(auditdCapturesDir, 'pid-namespace'));
let dir: string;
let sqlite: string;
let pgDb: TestDatabase;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'proc-tree-pg-several-hosts-'));
  sqlite = join(dir, 'ab.db');
  pgDb = await freshDatabase('several_hosts');
  for (const db of [sqlite, pgDb.url]) {
    for (const [host, capture] of [['a', A], ['b', B]] as const) {
      expect((await cliInProcess('ingest', '--db', db, '--host', host, capture.logDir)).code).toBe(0);
    }
  }
}, 60_000);

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await pgDb?.drop();
});

/** One command on both backends: same status and output; the PostgreSQL result. */
async function same(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const onSqlite = await cliInProcess(...args, '--db', sqlite);
  const onPg = await cliInProcess(...args, '--db', pgDb.url);
  const neutral = (r: { code: number; out: string; err: string }, db: string) => ({ code: r.code, out: renumberIds(r.out.replaceAll(db, 'DB')), err: r.err.replaceAll(db, 'DB') });
  expect(neutral(onPg, pgDb.url), args.join(' ')).toEqual(neutral(onSqlite, sqlite));
  return onPg;
}

/** The pids of a capture's probed chains. */
const probePids = (capture: typeof A): Set<number> => new Set(capture.truth.probes.flatMap((p) => p.chain.map((l) => l.pid)));

describe('several hosts on PostgreSQL', () => {
  it('a pid of one host: answered for it and named, as on SQLite', async () => {
    const onA = probePids(A);
    const probe = B.truth.probes.find((p) => !onA.has(p.pid))!;
    // Not on host a at all (by its own history), so the only holder is b.
    expect((await same('timeline', String(probe.pid), '--host', 'a')).code).toBe(1);
    for (const args of [['ancestry', String(probe.pid), '--at', seconds(probe.atNs)], ['descendants', String(probe.pid), '--at', seconds(probe.atNs)], ['timeline', String(probe.pid)]]) {
      const r = await same(...args);
      expect(r.code).toBe(0);
      expect(r.out.split('\n')[0]).toBe('host b:');
      expect(JSON.parse((await same(...args, '--json')).out).host).toBe('b');
    }
    // Before b's history: said of host b.
    const early = await same('ancestry', String(probe.pid), '--at', seconds(B.truth.startedAtNs - 3_600_000_000_000n));
    expect(early.code).toBe(1);
    expect(early.err).toMatch(/on host b: the history of host b begins at /);
  });

  it('a pid of both hosts: the time chooses, or the query is refused naming them', async () => {
    const pid = sharedPid(sqlite);
    const r = await same('timeline', String(pid));
    expect(r.code).toBe(1);
    expect(r.err).toBe(`proc-tree timeline: pid ${pid} is on hosts a, b: pass --host NAME\n`);
    const between = (A.truth.endedAtNs + B.truth.startedAtNs) / 2n;
    const none = await same('ancestry', String(pid), '--at', seconds(between));
    expect(none.code).toBe(1);
    expect(none.err).toMatch(new RegExp(`pid ${pid} is on hosts a, b \\(alive at \\S+ within the history of none of them\\): pass --host NAME`));
    for (const [host, capture] of [['a', A], ['b', B]] as const) {
      const timeline = JSON.parse((await same('timeline', String(pid), '--host', host, '--json')).out);
      const inst = timeline.instances[0];
      const end = inst.endNs === null ? capture.truth.endedAtNs : BigInt(inst.endNs);
      const at = (BigInt(inst.startNs) + (end < capture.truth.endedAtNs ? end : capture.truth.endedAtNs)) / 2n;
      const chosen = await same('ancestry', String(pid), '--at', seconds(at));
      expect(chosen.code).toBe(0);
      expect(chosen.out.split('\n')[0]).toMatch(new RegExp(`^host ${host}: the only host where pid ${pid} was alive at `));
    }
  });

  it('a pid of no host: said of every host', async () => {
    // 4194304 is PID_MAX_LIMIT: no Linux process ever had it.
    const r = await same('ancestry', '4194304', '--at', seconds(A.truth.probes[0]!.atNs));
    expect(r.code).toBe(1);
    expect(r.err).toBe('proc-tree ancestry: pid 4194304 is not in the history of any host (a, b)\n');
  });
});

/** A pid (not init) both hosts of the SQLite file recorded. */
function sharedPid(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    const row = db.prepare('SELECT pid FROM instances WHERE pid > 1 GROUP BY pid HAVING count(DISTINCT host_id) > 1 ORDER BY pid LIMIT 1').get() as { pid: number } | undefined;
    expect(row).toBeDefined();
    return row!.pid;
  } finally {
    db.close();
  }
}
