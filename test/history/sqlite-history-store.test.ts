import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HistoryStore } from '../../src/history/history-store.js';
import type { InstanceRow } from '../../src/history/history-types.js';
import { openHistoryStore } from '../../src/history/open-history-store.js';
import { runIngest } from '../../src/ingest/run-ingest.js';
import { repoRoot } from '../support/truth.js';

/**
 * The read side's one-statement shortcuts (a whole ancestry chain, every link alive at a
 * time, "alive at T" through the lifetime index) must answer exactly what the narrow
 * lookups they replace answer. Checked on a real capture with rotation, pid reuse and
 * hundreds of short-lived processes (samples/auditd/busy-machine-rotation), at many times.
 */
const dir = mkdtempSync(join(tmpdir(), 'proc-tree-store-'));
const db = join(dir, 'busy.db');
let store: HistoryStore;
let times: bigint[] = [];
let host = '';
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

beforeAll(async () => {
  await runIngest({ db, inputs: [join(repoRoot, 'samples', 'auditd', 'busy-machine-rotation', 'logs')] });
  store = await openHistoryStore(db);
  host = (await store.read((r) => r.hosts()))[0]!;
  // Every start and end time, and 1 ns either side: the edges of "alive at".
  const raw = new Database(db, { readonly: true });
  const edges = raw.prepare('SELECT start_ns AS t FROM instances UNION SELECT end_ns FROM instances WHERE end_ns IS NOT NULL ORDER BY 1').safeIntegers(true).all() as { t: bigint }[];
  raw.close();
  const all = edges.flatMap((e) => [e.t - 1n, e.t, e.t + 1n]);
  // A spread of ~150 of them keeps the test short.
  const step = Math.max(1, Math.floor(all.length / 150));
  times = all.filter((_, i) => i % step === 0);
}, 120_000);

/** What "alive at T" means, by a plain scan of every instance. */
async function aliveByScan(atNs: bigint): Promise<InstanceRow[]> {
  const out: InstanceRow[] = [];
  const seen = new Set<number>();
  for (const pid of pids()) {
    for (const inst of (await store.read((r) => r.instancesOfPid(host, pid)))) {
      if (inst.startNs <= atNs && (inst.endNs === undefined || inst.endNs > atNs) && !seen.has(inst.id)) {
        seen.add(inst.id);
        out.push(inst);
      }
    }
  }
  return out;
}

let pidCache: number[] | undefined;
function pids(): number[] {
  if (pidCache === undefined) {
    const raw = new Database(db, { readonly: true });
    pidCache = (raw.prepare('SELECT DISTINCT pid FROM instances').all() as { pid: number }[]).map((r) => r.pid);
    raw.close();
  }
  return pidCache;
}

const ids = (rows: { id: number }[]): number[] => rows.map((r) => r.id).sort((a, b) => a - b);

describe('alive at a time', () => {
  it('has the lifetime index, and the alive-at query reads it instead of scanning every instance', async () => {
    const raw = new Database(db, { readonly: true });
    const index = raw.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'instances_by_lifetime'").get();
    expect(index).toBeDefined();
    raw.close();
    expect(times.length).toBeGreaterThan(100);
  });

  it('returns exactly the instances a scan finds alive, at every start and end time and 1 ns around them', async () => {
    let nonEmpty = 0;
    for (const t of times) {
      const want = ids(await aliveByScan(t));
      expect(ids((await store.read((r) => r.aliveAt(host, t)))), `alive at ${t}`).toEqual(want);
      expect(ids((await store.read((r) => r.aliveLinksAt(host, t))).map((l) => l.instance)), `alive links at ${t}`).toEqual(want);
      if (want.length > 0) nonEmpty++;
    }
    expect(nonEmpty).toBeGreaterThan(times.length / 2);
  });

  it('gives each alive link the parent row and own image that the narrow lookups give', async () => {
    for (const t of times.slice(0, 60)) {
      for (const link of (await store.read((r) => r.aliveLinksAt(host, t)))) {
        const id = link.instance.id;
        const parent = (await store.read((r) => r.parentAt(id, t)));
        expect(link.parent?.ppid).toBe(parent?.ppid);
        expect(link.parent?.parentId).toBe(parent?.parentId);
        expect(link.parent?.sinceNs).toBe(parent?.sinceNs);
        const image = (await store.read((r) => r.ownImageAt(id, t)));
        expect(link.image?.sinceNs).toBe(image?.sinceNs);
        expect(link.image?.argv).toEqual(image?.argv);
      }
    }
  });
});

describe('a whole chain in one statement', () => {
  it('follows the recorded parent while it was alive, with the same rows as parentAt and ownImageAt', async () => {
    let links = 0;
    for (const t of times.slice(0, 60)) {
      for (const inst of (await store.read((r) => r.aliveAt(host, t)))) {
        const chain = (await store.read((r) => r.chainAt(inst.id, t, 'parent')));
        expect(chain[0]!.instance.id).toBe(inst.id);
        for (let i = 0; i < chain.length; i++) {
          const link = chain[i]!;
          const parent = (await store.read((r) => r.parentAt(link.instance.id, t)));
          expect(link.parent?.parentId).toBe(parent?.parentId);
          expect(link.image?.sinceNs).toBe((await store.read((r) => r.ownImageAt(link.instance.id, t)))?.sinceNs);
          const next = chain[i + 1];
          if (next !== undefined) {
            // The step taken is the recorded parent, alive at t.
            expect(next.instance.id).toBe(parent!.parentId);
            expect(next.instance.startNs <= t && (next.instance.endNs === undefined || next.instance.endNs > t)).toBe(true);
          } else if (parent?.parentId !== undefined && parent.ppid !== 0) {
            // Stopped: the recorded parent was not alive then.
            const recorded = (await store.read((r) => r.instance(parent.parentId!)));
            expect(recorded === undefined || recorded.startNs > t || (recorded.endNs !== undefined && recorded.endNs <= t)).toBe(true);
          }
          links++;
        }
      }
    }
    expect(links).toBeGreaterThan(500);
  });

  it('follows creators for the creator lineage', async () => {
    for (const t of times.slice(0, 30)) {
      for (const inst of (await store.read((r) => r.aliveAt(host, t)))) {
        const chain = (await store.read((r) => r.chainAt(inst.id, t, 'creator')));
        for (let i = 0; i + 1 < chain.length; i++) expect(chain[i + 1]!.instance.id).toBe(chain[i]!.instance.creatorId);
        const last = chain[chain.length - 1]!.instance;
        expect(last.creatorId === undefined || (await store.read((r) => r.instance(last.creatorId!))) === undefined).toBe(true);
      }
    }
  });
});
