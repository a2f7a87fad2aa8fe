import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ancestryAt, type AncestryResult } from '../../src/history/ancestry-at.js';
import { openHistoryStore } from '../../src/history/open-history-store.js';
import { runIngest } from '../../src/ingest/run-ingest.js';
import { repoRoot } from '../support/truth.js';

/**
 * Real proc-connector captures (samples/proc-connector, with the /proc truth recorded while
 * they were made) replayed through `ingest --format auto`, then ancestry asked at every
 * probe time. Same tolerance as the auditd truth test: a probe's time is taken after /proc
 * was read, so an answer up to RACE_NS earlier is accepted.
 */
const RACE_NS = 50_000_000n;
const root = join(repoRoot, 'samples', 'proc-connector');
const captures = existsSync(root) ? readdirSync(root).filter((f) => f.endsWith('.cap') && existsSync(join(root, f.replace(/\.cap$/, '.truth.json')))) : [];
const dir = mkdtempSync(join(tmpdir(), 'proc-tree-cn-truth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Probe {
  atNs: string;
  pid: number;
  chain: { pid: number; ppid: number }[];
}

function matches(got: AncestryResult | undefined, probe: Probe): boolean {
  if (got === undefined) return false;
  const n = Math.min(got.chain.length, probe.chain.length);
  for (let i = 0; i < n; i++) {
    if (got.chain[i]!.pid !== probe.chain[i]!.pid) return false;
    const ppid = got.chain[i]!.ppid;
    if (ppid !== undefined && ppid !== probe.chain[i]!.ppid) return false;
  }
  return true;
}

describe('ancestry from replayed proc-connector captures matches /proc ground truth', () => {
  it('has captures to check', () => expect(captures.length).toBeGreaterThan(0));
  for (const file of captures) {
    it(`${file}: every probe's chain matches, up to pid 1`, async () => {
      const db = join(dir, `${file}.db`);
      const summary = await runIngest({ db, inputs: [join(root, file)] });
      expect(summary.inputs[0]!.format).toBe('proc-connector');
      const truth = JSON.parse(readFileSync(join(root, file.replace(/\.cap$/, '.truth.json')), 'utf8')) as { probes: Probe[] };
      const store = await openHistoryStore(db);
      const ask = async (pid: number, atNs: bigint) => {
        try {
          return await ancestryAt(store, { pid, atNs });
        } catch {
          return undefined;
        }
      };
      const problems: string[] = [];
      let complete = 0;
      for (const probe of truth.probes) {
        const at = BigInt(probe.atNs);
        const now = await ask(probe.pid, at);
        if (matches(now, probe) || matches(await ask(probe.pid, at - RACE_NS), probe)) {
          if (now !== undefined && now.chain.length >= probe.chain.length) complete++;
          continue;
        }
        problems.push(`pid ${probe.pid} at ${probe.atNs}: got ${now?.chain.map((l) => `${l.pid}<${l.ppid ?? '?'}`).join(' ') ?? 'no process'}`);
      }
      await store.close();
      expect(problems).toEqual([]);
      // The capture's /proc snapshot names every ancestor: chains reach pid 1.
      expect(complete).toBeGreaterThan(0);
      // Ingesting the same capture again changes nothing.
      const again = await runIngest({ db, inputs: [join(root, file)] });
      expect(again.inputs[0]!.status).toBe('already-ingested');
    }, 60_000);
  }
});
