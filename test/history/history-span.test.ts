import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ancestryAt } from '../../src/history/ancestry-at.js';
import { descendants } from '../../src/history/descendants.js';
import type { HistoryStore } from '../../src/history/history-store.js';
import { NoProcessAtTimeError } from '../../src/history/query-errors.js';
import { openHistoryStore } from '../../src/history/open-history-store.js';
import { treeAt } from '../../src/history/tree-at.js';
import { runIngest } from '../../src/ingest/run-ingest.js';
import { formatTimeNs } from '../../src/time/format-time.js';
import { LAST_RECORD_STATE_KEY } from '../../src/history/history-types.js';
import { loadCapture, repoRoot, type Capture } from '../support/truth.js';
import { runBytes } from '../adapters/auditd/trace-helpers.js';

/**
 * Query times at the edges of what a history recorded, and init (pid 1), on real captures:
 * killed-by-signal (asked about long after its last record), pid-reuse (pid 1 first seen in
 * the middle of the log) and daemon-double-fork (pid 1 never recorded with a parent).
 */
const SECOND = 1_000_000_000n;
const dir = mkdtempSync(join(tmpdir(), 'proc-tree-span-'));
const captures: Record<string, Capture> = {};
const stores: Record<string, HistoryStore> = {};
const names = ['killed-by-signal', 'pid-reuse', 'daemon-double-fork'];

beforeAll(async () => {
  for (const name of names) {
    captures[name] = loadCapture(resolve(repoRoot, 'samples', 'auditd', name));
    const db = join(dir, `${name}.db`);
    await runIngest({ db, inputs: [captures[name]!.logDir] });
    stores[name] = await openHistoryStore(db);
  }
});
afterAll(async () => {
  for (const s of Object.values(stores)) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

/** First and last `audit(SECONDS.MS:` stamp of a capture's logs, read from the raw text. */
function logStamps(c: Capture): { first: bigint; last: bigint } {
  const stamps = c.logFiles.flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/audit\((\d+)\.(\d{3}):/g)].map((m) => BigInt(m[1]!) * SECOND + BigInt(m[2]!) * 1_000_000n));
  return { first: stamps.reduce((a, b) => (b < a ? b : a)), last: stamps.reduce((a, b) => (b > a ? b : a)) };
}

describe('the span of a history', () => {
  it('starts at the first record of the log and ends within it, for each capture', async () => {
    for (const name of names) {
      const { first, last } = logStamps(captures[name]!);
      // The first audit records of a capture may be about the daemon, not a process.
      const start = (await stores[name]!.read((r) => r.historyStartNs('')))!;
      expect(start).toBeGreaterThanOrEqual(first);
      expect(start - first).toBeLessThan(SECOND);
      const end = (await stores[name]!.read((r) => r.historyEndNs('')))!;
      expect(end).toBeGreaterThan(start);
      expect(end).toBeLessThanOrEqual(last);
    }
  });
});

describe('where a history ends', () => {
  it('is the last record the ingest read, saved at commit, not only the last row written', async () => {
    for (const name of names) {
      const c = captures[name]!;
      const { events } = runBytes(Buffer.concat(c.logFiles.map((f) => readFileSync(f))), name);
      const lastEvent = events.reduce((max, e) => (e.timestampNs > max ? e.timestampNs : max), 0n);
      const after = logStamps(c).last + SECOND;
      expect((await stores[name]!.read((r) => r.historyEndNs('', after)))).toBe(lastEvent);
      const db = new Database(join(dir, `${name}.db`), { readonly: true });
      const saved = db.prepare('SELECT value FROM resume_state WHERE key = ?').get(LAST_RECORD_STATE_KEY) as { value: string } | undefined;
      db.close();
      expect(Object.values(JSON.parse(saved!.value) as Record<string, string>)).toEqual([lastEvent.toString()]);
    }
  });

  it('is derived from the rows for a database without the saved time (older files)', async () => {
    const name = 'killed-by-signal';
    const copy = join(dir, `${name}-nokey.db`);
    copyFileSync(join(dir, `${name}.db`), copy);
    const db = new Database(copy);
    db.prepare('DELETE FROM resume_state WHERE key = ?').run(LAST_RECORD_STATE_KEY);
    db.close();
    const store = await openHistoryStore(copy);
    try {
      const derived = (await store.read((r) => r.historyEndNs('', logStamps(captures[name]!).last + SECOND)))!;
      expect(derived).toBeGreaterThan((await store.read((r) => r.historyStartNs('')))!);
      expect(derived).toBeLessThanOrEqual((await stores[name]!.read((r) => r.historyEndNs('', logStamps(captures[name]!).last + SECOND)))!);
    } finally {
      await store.close();
    }
  });
});

describe('a time after the last record', () => {
  const after = (name: string): bigint => logStamps(captures[name]!).last + 3600n * SECOND;

  it('marks ancestry uncertain and says where the history ends, instead of a confident "alive"', async () => {
    const store = stores['killed-by-signal']!;
    // A process the log shows alive at its end (no exit recorded).
    const open = (await store.read((r) => r.aliveAt('', after('killed-by-signal')))).find((i) => i.pid !== 1)!.pid;
    const answer = await ancestryAt(store, { pid: open, atNs: after('killed-by-signal') });
    expect(answer.outsideHistory).toBe('after');
    expect(answer.uncertain).toBe(true);
    expect(answer.notes.join('\n')).toContain(`ends at ${formatTimeNs((await store.read((r) => r.historyEndNs('')))!)}`);
  });

  it('leaves every truth probe within the history unflagged', async () => {
    const store = stores['killed-by-signal']!;
    const end = (await store.read((r) => r.historyEndNs('')))!;
    let asked = 0;
    for (const probe of captures['killed-by-signal']!.truth.probes) {
      if (probe.atNs > end) continue;
      try {
        expect((await ancestryAt(store, { pid: probe.pid, atNs: probe.atNs })).outsideHistory).toBeUndefined();
        asked++;
      } catch (e) {
        if (!(e instanceof NoProcessAtTimeError)) throw e;
      }
    }
    expect(asked).toBeGreaterThan(10);
  });

  it('flags the tree and the descendants the same way', async () => {
    const store = stores['killed-by-signal']!;
    const tree = await treeAt(store, { atNs: after('killed-by-signal') });
    expect(tree.count).toBeGreaterThan(0);
    expect(tree.outsideHistory).toBe('after');
    expect(tree.uncertain).toBe(true);
    const root = tree.roots.find((r) => r.children.length > 0)!;
    const d = await descendants(store, { pid: root.pid, atNs: after('killed-by-signal') });
    expect(d.outsideHistory).toBe('after');
    expect(d.uncertain).toBe(true);
  });
});

describe('a time before the first record', () => {
  it('is no process, with the start of the history in the message, for ancestry and tree', async () => {
    const store = stores['pid-reuse']!;
    const before = (await store.read((r) => r.historyStartNs('')))! - 60n * SECOND;
    const pid = captures['pid-reuse']!.truth.probes[0]!.pid;
    await expect(ancestryAt(store, { pid, atNs: before })).rejects.toThrow(`begins at ${formatTimeNs((await store.read((r) => r.historyStartNs('')))!)}`);
    expect((await treeAt(store, { atNs: before })).count).toBe(0);
    // init too: it runs from boot, but nothing is known of a time before the log.
    await expect(ancestryAt(store, { pid: 1, atNs: before })).rejects.toThrow(NoProcessAtTimeError);
  });
});

describe('init (pid 1)', () => {
  // pid-reuse: the log first shows pid 1 at 06:49:50.856 (seen since); `sleep 2` (1298) ran
  // under it from 06:49:48.832.
  const beforeInitRecord = 1795589388_900_000_000n;

  it('exists at any time within the history, with ppid 0, as the same instance its children name', async () => {
    const store = stores['pid-reuse']!;
    const init = await ancestryAt(store, { pid: 1, atNs: beforeInitRecord });
    expect(init.chain.map((l) => [l.pid, l.ppid])).toEqual([[1, 0]]);
    expect(init.complete).toBe(true);
    const child = await ancestryAt(store, { pid: 1298, atNs: 1795589389_150_000_000n });
    const last = child.chain[child.chain.length - 1]!;
    expect(last.pid).toBe(1);
    expect(last.ppid).toBe(0);
    expect(last.instanceId).toBe(init.chain[0]!.instanceId);
  });

  it('gives init ppid 0 and a complete chain in a log that never records its parent', async () => {
    const store = stores['daemon-double-fork']!;
    const endNs = (await store.read((r) => r.historyEndNs('')))!;
    let at: bigint | undefined;
    for (const p of captures['daemon-double-fork']!.truth.probes) {
      if (p.atNs <= endNs && (await store.read((r) => r.instancesAt('', 1, p.atNs))).length > 0) {
        at = p.atNs;
        break;
      }
    }
    if (at === undefined) throw new Error('no probe with init recorded alive');
    const init = await ancestryAt(store, { pid: 1, atNs: at });
    expect(init.chain.map((l) => [l.pid, l.ppid])).toEqual([[1, 0]]);
    expect(init.complete).toBe(true);
    expect(init.uncertain).toBe(false);
  });

  it('is drawn as the root over its children in the tree, and has them as descendants', async () => {
    const store = stores['pid-reuse']!;
    const at = 1795589389_200_000_000n;
    const tree = await treeAt(store, { atNs: at });
    const init = tree.roots.find((r) => r.pid === 1)!;
    expect(init).toBeDefined();
    expect(init.ppid).toBe(0);
    expect(init.children.map((c) => c.pid)).toContain(1298);
    expect(tree.roots.map((r) => r.pid)).not.toContain(1298);
    const d = await descendants(store, { pid: 1, atNs: at });
    expect(d.root.children.map((c) => c.pid)).toContain(1298);
  });
});

describe('a pid first recorded after the time asked, its start unknown', () => {
  it('says the process may already have been running, not a flat "no process"', async () => {
    const store = stores['pid-reuse']!;
    const first = (await store.read((r) => r.instancesOfPid('', 1295)))[0]!;
    expect(first.startKnown).toBe(false);
    const at = first.startNs - 64_000_000n;
    let message = '';
    try {
      await ancestryAt(store, { pid: 1295, atNs: at });
    } catch (e) {
      expect(e).toBeInstanceOf(NoProcessAtTimeError);
      message = (e as Error).message;
    }
    expect(message).toContain(`pid 1295 was first recorded at ${formatTimeNs(first.startNs)} (start unknown): it may already have been running at ${formatTimeNs(at)}`);
    expect(message).not.toMatch(/^no process/);
  });
});
