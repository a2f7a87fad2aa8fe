import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ancestryAt } from '../../src/history/ancestry-at.js';
import { openHistoryStore } from '../../src/history/open-history-store.js';
import { runIngest } from '../../src/ingest/run-ingest.js';
import { loadTruth, repoRoot } from '../support/truth.js';

// Real capture: a daemon double fork whose grandchild is reparented to pid 1. The workload
// is audited alone (auid filter), so no record ever names pid 1 as a `pid`.
const capture = resolve(repoRoot, 'samples', 'auditd', 'daemon-double-fork');
let dir: string;
let db: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'proc-tree-init-'));
  db = join(dir, 'h.db');
  await runIngest({ db, inputs: [join(capture, 'logs')] });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ancestryAt and init', () => {
  it('ends a reparented daemon chain at init as complete, not uncertain, although no record names init', async () => {
    const truth = loadTruth(join(capture, 'daemon-double-fork.truth.json'));
    // The first probe whose /proc chain was [self, 1]: the daemon just reparented, before
    // any record of the capture mentioned pid 1.
    const probe = truth.probes.find((p) => p.chain.length === 2 && p.chain[1]!.pid === 1)!;
    expect(probe).toBeDefined();
    const store = await openHistoryStore(db);
    try {
      const answer = await ancestryAt(store, { pid: probe.pid, atNs: probe.atNs });
      expect(answer.chain.map((l) => l.pid)).toEqual([probe.pid, 1]);
      expect(answer.complete).toBe(true);
      expect(answer.uncertain).toBe(false);
    } finally {
      await store.close();
    }
  });
});
