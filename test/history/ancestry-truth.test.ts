import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ancestryAt, type AncestryResult } from '../../src/history/ancestry-at.js';
import type { HistoryStore } from '../../src/history/history-store.js';
import { openHistoryStore } from '../../src/history/open-history-store.js';
import { runIngest } from '../../src/ingest/run-ingest.js';
import { listAuditdCaptures, type TruthProbe } from '../support/truth.js';

/**
 * Real captures (samples/auditd, recorded on this machine with /proc ground truth): ingest
 * the logs, then ask ancestry at every probe time and compare with what /proc showed.
 *
 * A probe's time is taken after /proc was read, audit stamps an event at syscall entry with
 * millisecond resolution, and an exiting process stays visible while do_exit runs: an
 * answer is accepted when it matches at the probe time or up to RACE_NS before it.
 * Our chain may stop early at an ancestor the audit rules did not cover (seen only as a
 * ppid): the common prefix must match, pid and parent alike.
 */
const RACE_NS = 50_000_000n;
/**
 * The prober skips zombies, but a process whose exit_group the log shows can stay readable
 * (not yet a zombie) while do_exit runs; on this loaded 2-core VM that was seen to take up
 * to ~100 ms. "No process" is accepted when the log shows the exit at most this long before.
 */
const EXIT_IN_PROGRESS_NS = 250_000_000n;

const dir = mkdtempSync(join(tmpdir(), 'proc-tree-truth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Verdict = 'match' | 'mismatch' | 'missing';

function compare(result: AncestryResult | undefined, probe: TruthProbe): Verdict {
  if (result === undefined) return 'missing';
  const n = Math.min(result.chain.length, probe.chain.length);
  for (let i = 0; i < n; i++) {
    const got = result.chain[i]!;
    const want = probe.chain[i]!;
    if (got.pid !== want.pid) return 'mismatch';
    if (got.ppid !== undefined && got.ppid !== want.ppid) return 'mismatch';
  }
  return 'match';
}

async function ask(store: HistoryStore, pid: number, atNs: bigint): Promise<AncestryResult | undefined> {
  try {
    return await ancestryAt(store, { pid, atNs });
  } catch {
    return undefined;
  }
}

async function judge(store: HistoryStore, probe: TruthProbe): Promise<{ verdict: Verdict; got?: AncestryResult }> {
  const now = await ask(store, probe.pid, probe.atNs);
  if (compare(now, probe) === 'match') return { verdict: 'match' };
  const before = await ask(store, probe.pid, probe.atNs - RACE_NS);
  if (compare(before, probe) === 'match') return { verdict: 'match' };
  if (now === undefined) {
    const instances = await store.read(async (r) => {
      const all = await r.instancesOfPid('', probe.pid);
      for (const h of await r.hosts()) if (h !== '') all.push(...(await r.instancesOfPid(h, probe.pid)));
      return all;
    });
    const exiting = instances.some((i) => i.endCertainty === 'observed' && i.endNs! <= probe.atNs && probe.atNs - i.endNs! <= EXIT_IN_PROGRESS_NS);
    return { verdict: exiting ? 'match' : 'missing' };
  }
  return { verdict: 'mismatch', got: now };
}

const captures = listAuditdCaptures();

describe('ancestry at past times matches /proc ground truth of real captures', () => {
  it('has captures to check', () => {
    expect(captures.length).toBeGreaterThan(3);
  });

  for (const capture of captures) {
    it(`${capture.meta.name}: every probe's chain matches (${capture.meta.logFormat}, ${capture.logFiles.length} file(s))`, async () => {
      const db = join(dir, `${capture.meta.name}.db`);
      await runIngest({ db, inputs: [capture.logDir] });
      const store = await openHistoryStore(db);
      const problems: string[] = [];
      let matched = 0;
      let killedButFlagged = 0;
      try {
        for (const probe of capture.truth.probes) {
          const { verdict, got } = await judge(store, probe);
          if (verdict === 'match') {
            matched++;
            continue;
          }
          // A parent killed by a signal leaves no record, and the orphan's reparenting
          // shows only in its own next record: until then no log can tell (see report).
          // The answer must then say it is uncertain.
          if (capture.meta.scenario === 'killed-by-signal' && verdict === 'mismatch' && probe.chain[0]!.ppid === 1 && got?.uncertain === true) {
            killedButFlagged++;
            continue;
          }
          const want = probe.chain.map((e) => `${e.pid}<${e.ppid}`).join(' ');
          const have = got?.chain.map((l) => `${l.pid}<${l.ppid ?? '?'}`).join(' ') ?? 'no process';
          problems.push(`${verdict} pid ${probe.pid} at ${probe.atNs}: got ${have}; /proc: ${want}`);
        }
      } finally {
        await store.close();
      }
      expect(problems).toEqual([]);
      expect(matched).toBeGreaterThan(capture.truth.probes.length / 2);
      if (killedButFlagged > 0) console.log(`${capture.meta.name}: ${killedButFlagged} probe(s) under a killed parent answered as uncertain`);
    }, 60_000);
  }
});
