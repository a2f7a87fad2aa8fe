/**
 * `proc-tree push`: a SQLite history shipped into PostgreSQL holds what a direct ingest of
 * the same logs into PostgreSQL holds (canonical dumps equal, and the query commands answer
 * alike), incrementally (a push after more ingest writes only the new part, a re-push
 * nothing), host by host.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOST_ID_SPAN } from '../../src/history/postgres/pg-id-ranges.js';
import { PgWriterLock } from '../../src/history/postgres/pg-writer-lock.js';
import { runPush, type PushOptions } from '../../src/history/push/run-push.js';
import { runIngest } from '../../src/ingest/run-ingest.js';
import { cliInProcess } from '../cli/cli-in-process.js';
import { canonicalDump } from '../ingest/canonical-dump.js';
import { freshDatabase, type TestDatabase } from '../support/postgres-database.js';
import { listAuditdCaptures, repoRoot } from '../support/truth.js';
import { pgCanonicalDump } from './pg-canonical-dump.js';

const auditd = join(repoRoot, 'samples', 'auditd');
const logs = (name: string): string => join(auditd, name, 'logs');
const cli = join(repoRoot, 'dist', 'src', 'cli', 'main.js');

let dir: string;
const databases: TestDatabase[] = [];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'proc-tree-push-'));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  for (const db of databases) await db.drop();
});

async function pgDatabase(prefix: string): Promise<TestDatabase> {
  const db = await freshDatabase(prefix);
  databases.push(db);
  return db;
}

const push = (db: string, to: string, extra: Partial<PushOptions> = {}) => runPush({ db, to, ...extra });
const rowsOf = (c: Record<string, number>): number => Object.values(c).reduce((a, b) => a + b, 0);

/** A log cut at a line boundary near the middle, written as FILE; returns the rest. */
function firstHalf(from: string, to: string): Buffer {
  const whole = readFileSync(from);
  const cut = whole.indexOf('\n', Math.floor(whole.length / 2)) + 1;
  writeFileSync(to, whole.subarray(0, cut));
  return whole.subarray(cut);
}

describe('push a SQLite history into PostgreSQL', () => {
  it('stores what a direct ingest stores, step by step: push, ingest more, push, re-push adds nothing', async () => {
    // Step 1: the first half of a busy log (many processes still running at the cut) and a
    // capture with node= records (a second host in the same file).
    const growing = join(dir, 'audit.log');
    const rest = firstHalf(join(logs('busy-machine-rotation'), 'audit.log'), growing);
    const local = join(dir, 'local.db');
    const direct = await pgDatabase('push_direct');
    const pushed = await pgDatabase('push_target');
    const step1 = [logs('exec-chain-enriched-node'), growing];
    await runIngest({ db: local, inputs: step1 });
    await runIngest({ db: direct.url, inputs: step1 });
    const first = await push(local, pushed.url);
    expect(first.hosts.length).toBe(2);
    expect(first.added.instances).toBeGreaterThan(100);
    expect(rowsOf(first.updated)).toBe(0);
    expect(await pgCanonicalDump(pushed.url)).toEqual(canonicalDump(local));
    expect(await pgCanonicalDump(pushed.url)).toEqual(await pgCanonicalDump(direct.url));

    // Step 2: the log grows and more captures come: only the new part is written, plus the
    // rows the ingest changed (ends of processes that were running at the cut).
    appendFileSync(growing, rest);
    const step2 = [growing, logs('pid-reuse'), logs('daemon-double-fork')];
    await runIngest({ db: local, inputs: step2 });
    await runIngest({ db: direct.url, inputs: step2 });
    const second = await push(local, pushed.url);
    expect(second.added.instances).toBeGreaterThan(0);
    expect(second.updated.instances).toBeGreaterThan(0);
    expect(second.added.instances).toBeLessThan(canonicalDump(local).instances!.length - first.added.instances + 1);
    expect(await pgCanonicalDump(pushed.url)).toEqual(canonicalDump(local));
    expect(await pgCanonicalDump(pushed.url)).toEqual(await pgCanonicalDump(direct.url));

    // Step 3: nothing new.
    const again = await push(local, pushed.url);
    expect(rowsOf(again.added) + rowsOf(again.updated)).toBe(0);
    expect(again.stateWritten).toBe(false);
    const cli = await cliInProcess('push', '--db', local, '--to', pushed.url);
    expect(cli.code).toBe(0);
    expect(cli.err).toMatch(/0 new, 0 updated/);
    expect(await pgCanonicalDump(pushed.url)).toEqual(await pgCanonicalDump(direct.url));

    // The queries answer as on the SQLite file, at every truth probe of the pushed captures.
    await sameAnswers(local, pushed.url, ['exec-chain-enriched-node', 'pid-reuse', 'daemon-double-fork']);

    // A direct ingest of the same files into PostgreSQL now continues where the push left
    // off (the registry and resume state came along): nothing is stored twice.
    const later = await runIngest({ db: pushed.url, inputs: [...step1, ...step2.slice(1)] });
    expect(later.inputs.every((r) => r.status === 'already-ingested')).toBe(true);
    expect(await pgCanonicalDump(pushed.url)).toEqual(await pgCanonicalDump(direct.url));

    // Once PostgreSQL is written directly, pushing the file again would mix two histories.
    await runIngest({ db: pushed.url, inputs: [logs('exec-chain')] });
    const mixed = await cliInProcess('push', '--db', local, '--to', pushed.url);
    expect(mixed.code).toBe(1);
    expect(mixed.err).toMatch(/written by an ingest into PostgreSQL since the last push/);
  }, 120_000);

  it('keeps two hosts pushed into one database apart, and refuses to mix two files under one host', async () => {
    const a = join(dir, 'host-a.db');
    const b = join(dir, 'host-b.db');
    await runIngest({ db: a, inputs: [logs('shell-pipeline-raw')] });
    await runIngest({ db: b, inputs: [logs('exec-chain')] });
    const fleet = await pgDatabase('push_fleet');
    const direct = await pgDatabase('push_fleet_direct');
    await push(a, fleet.url, { host: 'alpha' });
    await push(b, fleet.url, { host: 'beta' });
    await runIngest({ db: direct.url, inputs: [logs('shell-pipeline-raw')], host: 'alpha' });
    await runIngest({ db: direct.url, inputs: [logs('exec-chain')], host: 'beta' });
    expect(await pgCanonicalDump(fleet.url)).toEqual(await pgCanonicalDump(direct.url));
    // The fleet holds two hosts: find names alpha in a HOST column; a's own file has none.
    const cells = (out: string): string[][] => out.trimEnd().split('\n').map((row) => row.split(/\s+/));
    const onA = cells((await cliInProcess('find', '--cmd', 'sh', '--host', 'alpha', '--db', fleet.url)).out);
    const alone = cells((await cliInProcess('find', '--cmd', 'sh', '--db', a)).out);
    expect(onA).toEqual(alone.map((row, i) => [i === 0 ? 'HOST' : 'alpha', ...row]));

    // b under alpha: another history already lives there.
    const mixed = await cliInProcess('push', '--db', b, '--to', fleet.url, '--host', 'alpha');
    expect(mixed.code).toBe(1);
    expect(mixed.err).toMatch(/pushed from another SQLite history/);
    expect(mixed.err.split('\n').filter((l) => l !== '').length).toBe(1);
    expect(await pgCanonicalDump(fleet.url)).toEqual(await pgCanonicalDump(direct.url));
  }, 60_000);

  it('pushes one consistent snapshot while the file is being ingested, and a push killed with SIGKILL is simply pushed again', async () => {
    const input = join(dir, 'busy');
    mkdirSync(input);
    for (const f of readdirSync(logs('busy-machine-rotation'))) copyFileSync(join(logs('busy-machine-rotation'), f), join(input, f));
    // An ingest into the file (many small commits) while pushes run one after another. Whether
    // a push lands between two commits is up to the scheduler: a round in which fewer than
    // two pushes overlapped the ingest, or none rewrote an earlier row, proves nothing and is
    // run again on fresh databases (at most 4 rounds).
    let local = '';
    let pg = await pgDatabase('push_live_0');
    let pushes = 0;
    let updated = 0;
    for (let round = 0; round < 4 && (pushes <= 1 || updated === 0); round++) {
      local = join(dir, `busy-${round}.db`);
      if (round > 0) pg = await pgDatabase(`push_live_${round}`);
      pushes = 0;
      updated = 0;
      const ingest = spawn(process.execPath, [cli, 'ingest', '--db', local, '--commit-every', '40', input], { stdio: 'ignore' });
      const ingested = new Promise<number | null>((done) => ingest.on('exit', (code) => done(code)));
      while (ingest.exitCode === null) {
        try {
          const s = await push(local, pg.url);
          pushes++;
          updated += s.updated.instances + s.updated.parents;
        } catch (error) {
          if (!/no history database|empty database|no such table|schema|not a proc-tree history/i.test((error as Error).message)) throw error; // the file is not there yet
        }
      }
      expect(await ingested).toBe(0);
    }
    expect(pushes).toBeGreaterThan(1);
    expect(updated).toBeGreaterThan(0); // rows of earlier pushes that the ingest went on to change

    // Pushes of another, larger file killed at random points in their transaction.
    const big = join(dir, 'big.db');
    for (const name of ['net-files-login', 'pid-reuse', 'threads-spawn', 'signals-audited']) await runIngest({ db: big, inputs: [logs(name)], host: name });
    let killedMidCopy = 0;
    // Four kills, more attempts when none came during a COPY (a push can finish first).
    for (let attempt = 0; attempt < 4 || (killedMidCopy === 0 && attempt < 12); attempt++) {
      const child = spawn(process.execPath, [cli, 'push', '--db', big, '--to', pg.url], { stdio: 'ignore' });
      const exited = new Promise<void>((done) => child.on('exit', () => done()));
      const client = await pg.connect();
      try {
        for (let i = 0; i < 4000 && child.exitCode === null; i++) {
          const { rows } = await client.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE 'COPY %' AND pid <> pg_backend_pid()");
          if (rows[0].n > 0 && i % (attempt + 1) === 0) {
            if (child.kill('SIGKILL')) killedMidCopy++;
            break;
          }
        }
      } finally {
        await client.end();
      }
      await exited;
    }
    expect(killedMidCopy).toBeGreaterThan(0);
    await push(big, pg.url);
    await push(local, pg.url);
    const again = await push(local, pg.url);
    expect(rowsOf(again.added) + rowsOf(again.updated)).toBe(0);
    const want = [canonicalDump(local), canonicalDump(big)].reduce((a, b) => Object.fromEntries(Object.keys(a).map((k) => [k, [...a[k]!, ...b[k]!].sort()])));
    expect(await pgCanonicalDump(pg.url)).toEqual(want);
  }, 120_000);

  it('refuses a second file whose node= host has the same rows under the same ids, and lets a copy of the file go on', async () => {
    // busy-machine-rotation's records all carry node=vm. Ingested first into two files, host
    // "vm" gets the same rows under the same ids in both, so the row witnesses agree.
    const a = join(dir, 'vm-a.db');
    const b = join(dir, 'vm-b.db');
    await runIngest({ db: a, inputs: [logs('busy-machine-rotation')] });
    for (const c of listAuditdCaptures()) await runIngest({ db: b, inputs: [c.logDir], host: c.meta.name });
    const vmRows = (file: string): unknown[] => {
      const d = new Database(file, { readonly: true });
      try {
        return d.prepare("SELECT i.id, i.pid FROM instances i JOIN hosts h ON h.id = i.host_id WHERE h.name = 'vm' ORDER BY i.id").raw().all();
      } finally {
        d.close();
      }
    };
    const inA = vmRows(a);
    const inB = vmRows(b);
    expect(inA.length).toBeGreaterThan(100);
    expect(inB.length).toBeGreaterThan(inA.length); // exec-chain-enriched-node adds node=vm records
    expect(inB.slice(0, inA.length)).toEqual(inA);

    const pg = await pgDatabase('push_same_rows');
    await push(a, pg.url);
    const mixed = await cliInProcess('push', '--db', b, '--to', pg.url);
    expect(mixed.code).toBe(1);
    expect(mixed.err).toMatch(/host "vm" was pushed from another SQLite history: push this one into another database/);
    expect(mixed.err.trim().split('\n').length).toBe(1);
    expect(await pgCanonicalDump(pg.url)).toEqual(canonicalDump(a));

    // A copy is the same history: it continues, also after more ingest into it.
    const copy = join(dir, 'vm-a-copy.db');
    copyFileSync(a, copy);
    const again = await push(copy, pg.url);
    expect(rowsOf(again.added) + rowsOf(again.updated)).toBe(0);
    await runIngest({ db: copy, inputs: [logs('exec-chain-enriched-node')] });
    const more = await push(copy, pg.url);
    expect(more.added.instances).toBeGreaterThan(0);
    expect(await pgCanonicalDump(pg.url)).toEqual(canonicalDump(copy));
  }, 120_000);

  for (const naming of ['each capture under its own --host', 'node= names only'] as const) {
    it(`every capture (${naming}): pushes SIGKILLed during their COPY store nothing, the next push completes`, async () => {
      const captures = listAuditdCaptures();
      expect(captures.length).toBeGreaterThanOrEqual(14);
      const big = join(dir, `all-killed-${naming.length}.db`);
      const ingest = async (list: typeof captures): Promise<void> => {
        for (const c of list) await runIngest({ db: big, inputs: [c.logDir], ...(naming === 'node= names only' ? {} : { host: c.meta.name }) });
      };
      // busy-machine-rotation (node=vm) in the first push, exec-chain-enriched-node (node=vm
      // too) after it: the killed pushes add to hosts the first push wrote.
      const split = captures.findIndex((c) => c.meta.name === 'exec-chain-enriched-node');
      expect(split).toBeGreaterThan(0);
      await ingest(captures.slice(0, split));
      const pg = await pgDatabase('push_killed');
      await push(big, pg.url);
      const pushedUpTo = maxInstanceId(big);
      await ingest(captures.slice(split));
      const before = await pgCanonicalDump(pg.url);
      expect(before).not.toEqual(canonicalDump(big));

      // Killed inside the COPY of its first new instance, of the last new instance of the
      // middle host with new rows, and of its very last new instance: early to late in the
      // transaction (every earlier host's rows sent by then). The first target's host exists
      // since the first push; the first killed push names the new hosts (push takes host ids
      // before its transaction), so the later targets' PostgreSQL ids are known.
      const fresh = newInstances(big, pushedUpTo);
      const hosts = [...new Set(fresh.map((r) => r.host))];
      const lastOf = (host: string) => fresh.filter((r) => r.host === host).at(-1)!;
      expect(hosts.length).toBeGreaterThanOrEqual(2);
      const targets = [fresh[0]!, lastOf(hosts[Math.floor((hosts.length - 1) / 2)]!), fresh.at(-1)!];
      for (const [i, target] of targets.entries()) {
        const killed = await pushKilledInCopy(big, pg, target);
        expect(killed, `push ${i}`).toEqual({ signal: 'SIGKILL', blockedIn: 'COPY instances' });
        expect(await pgCanonicalDump(pg.url), `push ${i}`).toEqual(before); // nothing of the killed push is stored
      }
      const last = await push(big, pg.url);
      expect(last.added.instances).toBeGreaterThan(0);
      // One default host for all captures: later ones end processes the first push left open.
      if (naming === 'node= names only') expect(last.updated.instances).toBeGreaterThan(0);
      expect(await pgCanonicalDump(pg.url)).toEqual(canonicalDump(big));
      const again = await push(big, pg.url);
      expect(rowsOf(again.added) + rowsOf(again.updated)).toBe(0);
    }, 120_000);
  }

  it('hands over to a direct ingest: a half-read log pushed, then continued straight into PostgreSQL, ends as if PostgreSQL had read it all', async () => {
    const growing = join(dir, 'handover.log');
    const rest = firstHalf(join(logs('busy-machine-rotation'), 'audit.log'), growing);
    const local = join(dir, 'handover.db');
    const direct = await pgDatabase('push_handover_direct');
    const pg = await pgDatabase('push_handover');
    // Another host first: the pushed host's ids then differ from the file's (host 2, not 1).
    for (const db of [direct.url, pg.url]) await runIngest({ db, inputs: [logs('exec-chain')], host: 'first-host' });
    await runIngest({ db: local, inputs: [growing] });
    await runIngest({ db: direct.url, inputs: [growing] });
    await push(local, pg.url);
    // Same ids on both sides here (one host per file, the same host id): the resume state
    // (resume guard, pending clone3 children, last record time) must be the direct ingest's.
    expect(await resumeState(pg)).toEqual(await resumeState(direct));
    appendFileSync(growing, rest);
    const resumed = await runIngest({ db: pg.url, inputs: [growing] });
    expect(resumed.inputs[0]!.status).toBe('resumed');
    await runIngest({ db: direct.url, inputs: [growing] });
    expect(await pgCanonicalDump(pg.url)).toEqual(await pgCanonicalDump(direct.url));
    expect(await resumeState(pg)).toEqual(await resumeState(direct));
  });

  it('every capture, pushed again and again while it is being ingested in small commits, ends equal to the file', async () => {
    const local = join(dir, 'all.db');
    const pg = await pgDatabase('push_all');
    const captures = listAuditdCaptures();
    expect(captures.length).toBeGreaterThanOrEqual(14);
    let ingesting = true;
    const ingestAll = (async () => {
      for (const c of captures) {
        const child = spawn(process.execPath, [cli, 'ingest', '--db', local, '--host', c.meta.name, '--commit-every', '25', c.logDir], { stdio: 'ignore' });
        const code = await new Promise<number | null>((done) => child.on('exit', (x) => done(x)));
        expect(code, c.meta.name).toBe(0);
      }
      ingesting = false;
    })();
    let pushes = 0;
    let updated = 0;
    while (ingesting) {
      try {
        const s = await push(local, pg.url);
        pushes++;
        updated += s.updated.instances + s.updated.parents;
      } catch (error) {
        if (!/no history database|empty database|no such table|schema|not a proc-tree history/i.test((error as Error).message)) throw error;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    await ingestAll;
    await push(local, pg.url);
    expect(pushes).toBeGreaterThan(captures.length);
    expect(updated).toBeGreaterThan(0);
    expect(await pgCanonicalDump(pg.url)).toEqual(canonicalDump(local));
  }, 180_000);

  it('is refused in one line while an ingest writes the same host into PostgreSQL', async () => {
    const local = join(dir, 'locked.db');
    await runIngest({ db: local, inputs: [logs('exec-chain')], host: 'busy-host' });
    const pg = await pgDatabase('push_locked');
    const client = await pg.connect();
    try {
      await runIngest({ db: pg.url, inputs: [logs('pid-reuse')], host: 'other-host' });
      await client.query("INSERT INTO hosts(name) VALUES ('busy-host')");
      const { rows } = await client.query("SELECT id FROM hosts WHERE name = 'busy-host'");
      await new PgWriterLock(client, 'ingest', undefined).acquire(Number(rows[0].id), 'busy-host');
      const refused = await cliInProcess('push', '--db', local, '--to', pg.url);
      expect(refused.code).toBe(75);
      expect(refused.err).toMatch(/host "busy-host" is being written by pid \d+/);
      expect(refused.err.trim().split('\n').length).toBe(1);
    } finally {
      await client.end();
    }
    expect((await cliInProcess('push', '--db', local, '--to', pg.url)).code).toBe(0);
  });

  it('refuses bad invocations in one line', async () => {
    expect((await cliInProcess('push', '--db', join(dir, 'none.db'), '--to', 'postgres://x@127.0.0.1:1/x')).code).toBe(1);
    const noTo = await cliInProcess('push', '--db', join(dir, 'none.db'));
    expect(noTo.code).toBe(2);
    expect((await cliInProcess('push', '--db', join(dir, 'none.db'), '--to', 'fleet.db')).code).toBe(2);
  });
});

/** The largest instance id of a SQLite history. */
function maxInstanceId(file: string): number {
  const d = new Database(file, { readonly: true });
  try {
    return Number((d.prepare('SELECT max(id) AS m FROM instances').get() as { m: number }).m);
  } finally {
    d.close();
  }
}

/** Instances of a SQLite history above an id, in the order push writes them: host by host, by id. */
function newInstances(file: string, after: number): { host: string; id: number }[] {
  const d = new Database(file, { readonly: true });
  try {
    return d.prepare('SELECT h.name AS host, i.id FROM instances i JOIN hosts h ON h.id = i.host_id WHERE i.id > ? ORDER BY h.id, i.id').all(after) as { host: string; id: number }[];
  } finally {
    d.close();
  }
}

/**
 * `push --db FILE --to DB` as a child process, SIGKILLed inside a COPY: another session
 * holds an uncommitted instance row with the id push gives `target` (host name, SQLite id),
 * so push's COPY waits on it (a unique key taken by a transaction in progress) until the
 * kill. The blocker is then rolled back and the server drops the killed session. Returns how
 * the child ended and the statement it was blocked in.
 */
async function pushKilledInCopy(file: string, db: TestDatabase, target: { host: string; id: number }): Promise<{ signal: NodeJS.Signals | null; blockedIn: string }> {
  const blocker = await db.connect();
  const watcher = await db.connect();
  try {
    const host = await blocker.query('SELECT id FROM hosts WHERE name = $1', [target.host]);
    expect(host.rows.length, `host ${target.host} in PostgreSQL`).toBe(1);
    await blocker.query('BEGIN');
    await blocker.query('INSERT INTO instances(host_id, id, pid, start_ns, start_known) VALUES ($1, $2, 0, 0, false)', [host.rows[0].id, Number(host.rows[0].id) * HOST_ID_SPAN + target.id]);
    const child = spawn(process.execPath, [cli, 'push', '--db', file, '--to', db.url], { stdio: 'ignore' });
    const exited = new Promise<void>((done) => child.on('exit', () => done()));
    let blockedIn = '';
    const waiting = `SELECT query FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`;
    for (let i = 0; i < 1000 && child.exitCode === null && blockedIn === ''; i++) {
      const { rows } = await watcher.query(waiting);
      if (rows.length > 0) blockedIn = String(rows[0].query).split(' (')[0]!;
      else await new Promise((r) => setTimeout(r, 10));
    }
    child.kill('SIGKILL');
    await exited;
    await blocker.query('ROLLBACK');
    await blocker.end();
    await settled(watcher);
    return { signal: child.signalCode, blockedIn };
  } finally {
    await blocker.end().catch(() => undefined);
    await watcher.end();
  }
}

/** Waits until the server has noticed a killed client: no other session on this database (its writer locks gone). */
async function settled(client: pg.Client): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const { rows } = await client.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
    if (rows[0].n === 0) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('a killed push still has a session after 5 s');
}

/** resume_state of the default host, without push's own marker. */
async function resumeState(db: TestDatabase): Promise<Record<string, string>> {
  const client = await db.connect();
  try {
    const { rows } = await client.query("SELECT key, value FROM resume_state WHERE host_id = (SELECT id FROM hosts WHERE name = '') AND key <> 'push.origin' ORDER BY key");
    expect(rows.length).toBeGreaterThan(0);
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  } finally {
    await client.end();
  }
}

const seconds = (ns: bigint): string => `${ns / 1_000_000_000n}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}`;

/** Row ids differ between the backends: JSON ids are numbered by first appearance (as test/postgres/pg-queries.test.ts). */
function renumberIds(out: string): string {
  const ids = new Map<string, number>();
  const n = (id: string): number => ids.get(id) ?? ids.set(id, ids.size).get(id)!;
  return out.replace(/"(id|instanceId|parentId|creatorId)":(\d+)/g, (_, key: string, id: string) => `"${key}":${n(id)}`);
}

/** ancestry --at every truth probe, tree, timeline and find: same output on the file and on PostgreSQL. */
async function sameAnswers(sqlite: string, url: string, names: string[]): Promise<void> {
  const captures = listAuditdCaptures().filter((c) => names.includes(c.meta.name));
  expect(captures.length).toBe(names.length);
  const same = async (...args: string[]): Promise<void> => {
    const s = await cliInProcess(...args, '--db', sqlite);
    const p = await cliInProcess(...args, '--db', url);
    const neutral = (r: { code: number; out: string; err: string }, db: string) => ({ code: r.code, out: renumberIds(r.out.replaceAll(db, 'DB')), err: r.err.replaceAll(db, 'DB') });
    expect(neutral(p, url), args.join(' ')).toEqual(neutral(s, sqlite));
  };
  for (const c of captures) {
    const host: string[] = [];
    for (let i = 0; i < c.truth.probes.length; i += 8) {
      await Promise.all(c.truth.probes.slice(i, i + 8).map((p) => same('ancestry', String(p.pid), '--at', seconds(p.atNs), ...host)));
    }
    const p = c.truth.probes[Math.floor(c.truth.probes.length / 2)]!;
    await same('tree', '--at', seconds(p.atNs), '--json', ...host);
    await same('timeline', String(p.pid), '--json', ...host);
    await same('find', '--cmd', p.chain[0]!.comm, '--at', seconds(p.atNs), ...host);
    await same('descendants', '1', '--from', seconds(c.truth.startedAtNs), '--to', seconds(c.truth.endedAtNs), ...host);
  }
}
