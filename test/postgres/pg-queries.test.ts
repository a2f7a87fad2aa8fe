/**
 * Queries on PostgreSQL answer exactly as on SQLite (the reference): every auditd capture is
 * ingested into both, then the query commands run against each and must print the same
 * (stdout, stderr, exit status), errors included. Ancestry on PostgreSQL is also compared
 * with /proc at every settled probe, through the store itself.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HistoryStore } from '../../src/history/history-store.js';
import { openHistoryStore } from '../../src/history/open-history-store.js';
import { runIngest } from '../../src/ingest/run-ingest.js';
import { cliInProcess } from '../cli/cli-in-process.js';
import { runCli } from '../cli/cli-runner.js';
import { processSyscalls, scanAuditLogs } from '../support/audit-records.js';
import { freshDatabase, type TestDatabase } from '../support/postgres-database.js';
import { askAncestry, knowable, mismatch, settledAmong } from '../support/probe-truth.js';
import { listAuditdCaptures, type Capture } from '../support/truth.js';
import { renumberIds, seconds } from './row-id-neutral.js';

const captures = listAuditdCaptures();
let dir: string;
const databases: TestDatabase[] = [];
const histories = new Map<string, { sqlite: string; pg: string }>();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'proc-tree-pg-queries-'));
  await Promise.all(
    captures.map(async (c) => {
      const sqlite = join(dir, `${c.meta.name}.db`);
      const pg = await freshDatabase(`q_${c.meta.name}`);
      databases.push(pg);
      await runIngest({ db: sqlite, inputs: [c.logDir] });
      await runIngest({ db: pg.url, inputs: [c.logDir] });
      histories.set(c.meta.name, { sqlite, pg: pg.url });
    }),
  );
}, 60_000);

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  for (const db of databases) await db.drop();
});

/** One command on both backends: same status, same output (the --db value aside). */
async function same(name: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const h = histories.get(name)!;
  const onSqlite = await cliInProcess(...args, '--db', h.sqlite);
  const onPg = await cliInProcess(...args, '--db', h.pg);
  const neutral = (r: { code: number; out: string; err: string }, db: string) => ({ code: r.code, out: renumberIds(r.out.replaceAll(db, 'DB')), err: r.err.replaceAll(db, 'DB') });
  expect(neutral(onPg, h.pg), `${args.join(' ')} on ${name}`).toEqual(neutral(onSqlite, h.sqlite));
  return onSqlite;
}

describe('queries on PostgreSQL answer as on SQLite', () => {
  it('finds the real captures', () => {
    expect(captures.length).toBeGreaterThanOrEqual(14);
  });

  it.each(captures.map((c) => [c.meta.name, c] as [string, Capture]))('ancestry --at every truth probe, tree, descendants, timeline, find: %s', async (name, capture) => {
    const probes = capture.truth.probes;
    let found = 0;
    // Eight at a time: each PostgreSQL query is mostly waiting on the server.
    for (let i = 0; i < probes.length; i += 8) {
      const batch = probes.slice(i, i + 8).map((p) => same(name, 'ancestry', String(p.pid), '--at', seconds(p.atNs)));
      for (const r of await Promise.all(batch)) if (r.code === 0) found++;
    }
    expect(found).toBeGreaterThan(probes.length / 2);
    // Both lineages and JSON on a spread of probes; trees and descendants at a few times.
    const some = [probes[0]!, probes[Math.floor(probes.length / 2)]!, probes.at(-1)!];
    for (const p of some) {
      const at = seconds(p.atNs);
      await same(name, 'ancestry', String(p.pid), '--at', at, '--json');
      await same(name, 'ancestry', String(p.pid), '--at', at, '--lineage', 'creator');
      expect((await same(name, 'tree', '--at', at)).code).toBe(0);
      await same(name, 'tree', '--at', at, '--json');
      await same(name, 'tree', String(p.pid), '--at', at, '--format', 'dot');
      const root = knowable(p, capture).at(-1)!.pid;
      await same(name, 'descendants', String(root), '--at', at, '--json');
      await same(name, 'descendants', String(root), '--from', seconds(capture.truth.startedAtNs), '--to', seconds(capture.truth.endedAtNs));
      await same(name, 'timeline', String(p.pid));
      await same(name, 'timeline', String(p.pid), '--json');
      await same(name, 'find', '--cmd', p.chain[0]!.comm, '--at', at);
    }
    // At an audit event id (instances ending around it come from the lifetime ranges on both).
    const forks = processSyscalls(scanAuditLogs(capture.logFiles).records).filter((x) => x.name === 'clone' || x.name === 'fork' || x.name === 'vfork' || x.name === 'clone3');
    const fork = forks[Math.floor(forks.length / 2)];
    if (fork) {
      const ms = fork.rec.timeNs / 1_000_000n;
      const id = `audit(${ms / 1000n}.${String(ms % 1000n).padStart(3, '0')}:${fork.rec.serial})`;
      await same(name, 'tree', '--at', id);
      await same(name, 'tree', String(fork.pid), '--at', id, '--json');
      await same(name, 'ancestry', String(fork.pid), '--at', id);
    }
    // The timeline exports read the history in bulk (the records reader): the same bytes.
    const window = ['--from', seconds(capture.truth.startedAtNs), '--to', seconds(capture.truth.endedAtNs)];
    for (const format of ['ecs', 'timesketch', 'csv']) expect((await same(name, 'export', '--format', format)).out.length).toBeGreaterThan(0);
    await same(name, 'export', '--format', 'ecs', ...window);
    await same(name, 'find', '--user', 'root');
    await same(name, 'find', '--user', '0', '--from', seconds(capture.truth.startedAtNs), '--to', seconds(capture.truth.endedAtNs), '--json');
    await same(name, 'find', '--cmd', 'no-such-program-anywhere');
    // Unknown pid, unknown host, a time outside the history: the same message and status.
    const at = seconds(probes[0]!.atNs);
    expect((await same(name, 'ancestry', '4000000', '--at', at)).code).not.toBe(0);
    expect((await same(name, 'ancestry', String(probes[0]!.pid), '--at', at, '--host', 'no-such-host')).code).not.toBe(0);
    await same(name, 'ancestry', String(probes[0]!.pid), '--at', '1000000000');
    await same(name, 'timeline', '4000000');
    await same(name, 'tree', '--at', at, '--host', 'no-such-host');
  }, 60_000);
});

describe('the CLI on PostgreSQL, as a process', () => {
  it('report and export print no driver warning (lookups asked at once are queued on the connection)', async () => {
    const c = captures.find((x) => x.meta.name === 'daemon-double-fork') ?? captures[0]!;
    const p = c.truth.probes.at(-1)!;
    const h = histories.get(c.meta.name)!;
    const page = join(dir, 'report.html');
    const report = await runCli(['report', String(p.pid), '--at', seconds(p.atNs), '--db', h.pg, '-o', page]);
    expect(report.code, report.stderr).toBe(0);
    expect(report.stderr).toBe(`report written to ${page} (${statSync(page).size} bytes)\n`);
    const exported = await runCli(['export', '--format', 'ecs', '--db', h.pg]);
    expect(exported.code).toBe(0);
    expect(exported.stderr).toMatch(/^exported \d+ record\(s\)\n$/);
  });
});

describe('ancestry on PostgreSQL matches /proc', () => {
  it.each(captures.map((c) => [c.meta.name, c] as [string, Capture]))('every settled probe: %s', async (name, capture) => {
    const syscalls = processSyscalls(scanAuditLogs(capture.logFiles).records);
    const store: HistoryStore = await openHistoryStore(histories.get(name)!.pg);
    try {
      expect(store.backend).toBe('postgres');
      let settled = 0;
      for (const p of capture.truth.probes) {
        const want = knowable(p, capture);
        if (!settledAmong(syscalls, p, want)) continue;
        settled++;
        const got = await askAncestry(store, p);
        if (got?.uncertain) continue; // as the SQLite truth test: an answer that says it is unsure is allowed
        expect(mismatch(got, want), `${name} pid ${p.pid} at ${seconds(p.atNs)}`).toBe('');
      }
      expect(settled).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  });
});
