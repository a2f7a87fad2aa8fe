/**
 * End to end on the real capture samples/auditd/pid-namespace: work inside a new pid
 * namespace (unshare --pid --fork --mount-proc) beside host processes, ingested into a real
 * SQLite file and asked for the ancestry at every /proc probe (read from the host).
 *
 * What makes it hard: audit's pid=/ppid= are host pids but a fork's exit= is the child's
 * pid in the caller's namespace. Inside the namespace those are 2, 3, ... and, steered with
 * ns_last_pid, the host pid of a live host `sleep`; the nested unshare's clone returned the
 * host pid of the outer unshare. Taken as host pids they give unrelated processes a wrong
 * parent (even a cycle). Here that must not happen: the host processes keep their parents
 * at every probe, namespace-local pids hold no process, and every settled probe of the
 * namespaced processes gets the chain /proc showed, with no "uncertain" excuse.
 *
 * Settled: as in auditd-ancestry.test.ts, no record of a chain member within the windows
 * below; a namespaced process's fork record does not carry its host pid, so every fork
 * record of a chain member's parent counts as one touching it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ancestryAt, type AncestryResult } from '../../src/history/ancestry-at.js';
import type { HistoryStore } from '../../src/history/history-store.js';
import { NoProcessAtTimeError } from '../../src/history/query-errors.js';
import { openHistoryStore } from '../../src/history/sqlite-history-store.js';
import { runIngest } from '../../src/ingest/run-ingest.js';
import { FORK_SYSCALLS, processSyscalls, scanAuditLogs, type ProcessSyscall } from '../support/audit-records.js';
import { listAuditdCaptures, type Capture, type TruthChainEntry, type TruthProbe } from '../support/truth.js';

const SETTLE_BEFORE_NS = 60_000_000n;
const EXIT_IN_PROGRESS_NS = 250_000_000n;
const SETTLE_AFTER_NS = 10_000_000n;

const capture = listAuditdCaptures().find((c) => c.meta.name === 'pid-namespace');
const dir = mkdtempSync(join(tmpdir(), 'proc-tree-pidns-'));
let store: HistoryStore;
let syscalls: ProcessSyscall[];

beforeAll(async () => {
  if (capture === undefined) throw new Error('samples/auditd/pid-namespace is missing (see samples/auditd/README.md)');
  const db = join(dir, 'h.db');
  await runIngest({ db, inputs: [capture.logDir] });
  store = openHistoryStore(db);
  syscalls = processSyscalls(scanAuditLogs(capture.logFiles).records);
}, 120_000);
afterAll(() => {
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The chain down to the first process that existed before the capture (the harness shell). */
function knowable(probe: TruthProbe, c: Capture): TruthChainEntry[] {
  const out: TruthChainEntry[] = [];
  for (const entry of probe.chain) {
    out.push(entry);
    if (entry.startTimeNs < c.truth.startedAtNs) break;
  }
  return out;
}

function ask(probe: TruthProbe): AncestryResult | undefined {
  try {
    return ancestryAt(store, { pid: probe.pid, atNs: probe.atNs });
  } catch {
    return undefined;
  }
}

/** '' when the answer matches /proc (pids, parents, comm where known), else what differs. */
function mismatch(got: AncestryResult | undefined, want: TruthChainEntry[]): string {
  const show = () =>
    `got ${got?.chain.map((l) => `${l.pid}(${l.comm ?? '?'})<${l.ppid ?? '?'}`).join(' ') ?? 'nothing'}; /proc ${want.map((e) => `${e.pid}(${e.comm})<${e.ppid}`).join(' ')}`;
  if (got === undefined) return show();
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got.chain[i];
    if (g === undefined || g.pid !== w.pid) return show();
    if (i < want.length - 1 && (g.ppid !== w.ppid || (g.comm !== undefined && g.comm !== w.comm))) return show();
  }
  return '';
}

function settled(probe: TruthProbe, want: TruthChainEntry[]): boolean {
  return want.every((entry) =>
    syscalls.every((s) => {
      const touches = s.pid === entry.pid || (FORK_SYSCALLS.has(s.name) && (s.pid === entry.ppid || s.exit === entry.pid));
      if (!touches) return true;
      const before = s.name === 'exit_group' ? EXIT_IN_PROGRESS_NS : SETTLE_BEFORE_NS;
      return s.rec.timeNs > probe.atNs + SETTLE_AFTER_NS || s.rec.timeNs < probe.atNs - before;
    }),
  );
}

/** Fork records made inside the namespace: the pid they returned is not the child /proc saw. */
function namespacedForks(): ProcessSyscall[] {
  const starts = capture!.truth.probes.map((p) => p.chain[0]!);
  return syscalls.filter(
    (s) =>
      FORK_SYSCALLS.has(s.name) &&
      s.exit !== undefined &&
      s.exit > 0 &&
      // No process /proc showed under that pid started at the fork.
      !starts.some((e) => e.pid === s.exit && e.startTimeNs >= s.rec.timeNs - 15_000_000n && e.startTimeNs <= s.rec.timeNs + 60_000_000n),
  );
}

describe('ancestry of processes inside a pid namespace (real capture pid-namespace)', () => {
  it('gives every settled probe the chain /proc showed, inside and outside the namespace', () => {
    const c = capture!;
    const results = c.truth.probes.map((probe) => {
      const want = knowable(probe, c);
      return { probe, settled: settled(probe, want), miss: mismatch(ask(probe), want) };
    });
    const matched = results.filter((r) => r.miss === '').length;
    const settledOnes = results.filter((r) => r.settled);
    console.log(`pid-namespace: ${matched}/${results.length} probes match (${settledOnes.filter((r) => r.miss === '').length}/${settledOnes.length} settled)`);
    expect(settledOnes.filter((r) => r.miss !== '').map((r) => `pid ${r.probe.pid} at ${r.probe.atNs}: ${r.miss}`)).toEqual([]);
    expect(settledOnes.length).toBeGreaterThan(results.length / 2);
    // The namespace's processes are among the settled matches (not only the host's).
    const inside = new Set(namespacedForks().map((f) => f.pid));
    expect(settledOnes.filter((r) => inside.has(r.probe.chain[1]?.pid ?? -1)).length).toBeGreaterThan(10);
  });

  it('keeps host processes whose pid a fork inside the namespace returned under their own parent, at every later probe', () => {
    const c = capture!;
    const forks = namespacedForks();
    // Every probe of such a process after that fork (what a wrong fork would change) and
    // before its exit record (after it, /proc can still show it while do_exit runs).
    const exited = (p: TruthProbe) => syscalls.some((s) => s.name === 'exit_group' && s.pid === p.pid && s.rec.timeNs <= p.atNs);
    const victims = c.truth.probes.filter((p) => !exited(p) && forks.some((f) => f.exit === p.pid && f.pid !== p.chain[0]!.ppid && f.rec.timeNs < p.atNs));
    console.log(`pid-namespace: ${victims.length} probes of host processes after a namespaced fork returned their pid`);
    // The steered vfork hit the host sleep; the nested unshare's clone hit the outer unshare.
    expect(new Set(victims.map((p) => p.pid)).size).toBeGreaterThanOrEqual(2);
    for (const probe of victims) {
      const got = ask(probe);
      expect(mismatch(got, knowable(probe, c)), `pid ${probe.pid} at ${probe.atNs}`).toBe('');
      // Only the harness shell's unknown parent may be uncertain (no "gone without an exit
      // record", no cycle: what the wrong fork made of it before).
      expect(got!.notes.filter((n) => !n.startsWith('chain ends at pid')), `pid ${probe.pid} at ${probe.atNs}`).toEqual([]);
    }
  });

  it('has no process under a namespace-local pid that no host process held', () => {
    const probedPids = new Set(capture!.truth.probes.map((p) => p.pid));
    const local = namespacedForks().filter((f) => !probedPids.has(f.exit!));
    expect(local.length).toBeGreaterThanOrEqual(5);
    for (const f of local) {
      for (const dt of [1_000_000n, 20_000_000n]) {
        expect(() => ancestryAt(store, { pid: f.exit!, atNs: f.rec.timeNs + dt }), `pid ${f.exit} after ${f.rec.serial}`).toThrow(NoProcessAtTimeError);
      }
    }
  });
});
