/**
 * enrich's fast path (chains reused while nothing they rest on changes, lookups answered
 * from per-instance lists) against the plain path (every lookup asked of the history for
 * every event), on every real capture of samples/auditd: the same lines byte for byte, in
 * both output formats, on SQLite and on PostgreSQL (whose statements the in-memory rows
 * stand in for as well). No expected answer is written down: the plain path is the oracle.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { auditEvents, newAuditEventStreamStats } from '../../src/enrich/audit-event-stream.js';
import { toEcsEvent } from '../../src/enrich/ecs-event.js';
import { enrichEvents, type EnrichOptions } from '../../src/enrich/enrich-events.js';
import { toNdjsonEvent } from '../../src/enrich/ndjson-event.js';
import { openStore } from '../../src/history/query-cli-args.js';
import { runIngest } from '../../src/ingest/run-ingest.js';
import { cliInProcess } from '../cli/cli-in-process.js';
import { freshDatabase, type TestDatabase } from '../support/postgres-database.js';
import { listAuditdCaptures } from '../support/truth.js';

const dir = mkdtempSync(join(tmpdir(), 'proc-tree-chain-reuse-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Both formats of every event of `logDir`, enriched from the history `db`. */
async function enrichedLines(db: string, logDir: string, options: EnrichOptions): Promise<string[]> {
  const store = await openStore(db);
  const lines: string[] = [];
  try {
    await store.read(async (reader) => {
      for await (const e of enrichEvents(reader, auditEvents([logDir], newAuditEventStreamStats()), options)) {
        lines.push(JSON.stringify(toNdjsonEvent(e)), JSON.stringify(toEcsEvent(e)));
      }
    });
  } finally {
    await store.close();
  }
  return lines;
}

describe('enrich: reused chains give what a query per event gives', () => {
  const captures = listAuditdCaptures();
  let reused = 0;
  let events = 0;
  afterAll(() => console.log(`chain reuse: ${reused} of ${events} events answered from a remembered chain, ${captures.length} captures`));

  it('covers the 15 captures', () => expect(captures.length).toBeGreaterThanOrEqual(15));

  for (const capture of captures) {
    it(`${capture.meta.name} (${capture.meta.logFormat}): identical output`, async () => {
      const db = join(dir, `${capture.meta.name}.db`);
      const ingest = await cliInProcess('ingest', '--db', db, capture.logDir);
      expect(ingest.code, ingest.err).toBe(0);
      const plain = await enrichedLines(db, capture.logDir, { plain: true });
      const stats = { chainsReused: 0 };
      const fast = await enrichedLines(db, capture.logDir, { stats });
      expect(fast.length).toBe(plain.length);
      for (let i = 0; i < plain.length; i++) if (fast[i] !== plain[i]) expect(fast[i], `line ${i}`).toBe(plain[i]);
      reused += stats.chainsReused;
      events += plain.length / 2;
    });
  }

  it('reuses chains at all (the comparison tests the fast path)', () => expect(reused).toBeGreaterThan(0));
});

describe('enrich on PostgreSQL: reused chains and rows give what a query per event gives', () => {
  const captures = listAuditdCaptures();
  const dbs: TestDatabase[] = [];
  afterAll(async () => {
    for (const db of dbs) await db.drop();
  });

  for (const capture of captures) {
    it(`${capture.meta.name} (${capture.meta.logFormat}): identical output`, async () => {
      const db = await freshDatabase(`chain_reuse_${capture.meta.name}`);
      dbs.push(db);
      await runIngest({ db: db.url, inputs: [capture.logDir] });
      const plain = await enrichedLines(db.url, capture.logDir, { plain: true });
      const fast = await enrichedLines(db.url, capture.logDir, {});
      expect(fast.length).toBe(plain.length);
      expect(plain.length).toBeGreaterThan(0);
      for (let i = 0; i < plain.length; i++) if (fast[i] !== plain[i]) expect(fast[i], `line ${i}`).toBe(plain[i]);
    });
  }
});
