import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { ancestryAt, type AncestryResult } from '../../src/history/ancestry-at.js';
import type { HistoryStore } from '../../src/history/history-store.js';
import { openHistoryStore } from '../../src/history/open-history-store.js';
import { runIngest } from '../../src/ingest/run-ingest.js';
import { FORK_SYSCALLS, processSyscalls, scanAuditLogs, type ProcessSyscall } from './audit-records.js';
import { listAuditdCaptures, type Capture, type TruthChainEntry, type TruthProbe } from './truth.js';

/**
 * Comparing historical answers with what /proc showed at a capture's probe times: which
 * part of a true chain a log can know, when a probe is "settled" (no record of the chain
 * near it), and whether an answer matches. Shared by the end-to-end truth tests.
 */

/** Events stamped this long before a probe may still be in progress when /proc was read. */
export const SETTLE_BEFORE_NS = 60_000_000n;
/**
 * An exiting process stays in /proc, not yet a zombie, while do_exit tears it down; on this
 * loaded VM a bash was seen there 93 ms after its exit_group stamp (shell-pipeline-raw).
 */
export const EXIT_IN_PROGRESS_NS = 250_000_000n;
/** The coarse audit clock lags real time by up to a jiffy (4 ms): a later stamp can precede the probe. */
export const SETTLE_AFTER_NS = 10_000_000n;

/** The chain down to the first process that existed before the capture (the harness shell). */
export function knowable(probe: TruthProbe, capture: Capture): TruthChainEntry[] {
  const out: TruthChainEntry[] = [];
  for (const entry of probe.chain) {
    out.push(entry);
    if (entry.startTimeNs < capture.truth.startedAtNs) break;
  }
  return out;
}

/** How a chain reads in a failure message: `pid(comm)<ppid ...`, the answer beside /proc. */
export function showChains(got: AncestryResult | undefined, want: TruthChainEntry[]): string {
  return `got ${got?.chain.map((l) => `${l.pid}(${l.comm ?? '?'})<${l.ppid ?? '?'}`).join(' ') ?? 'nothing'}; /proc ${want.map((e) => `${e.pid}(${e.comm})<${e.ppid}`).join(' ')}`;
}

/** '' when the answer matches /proc (pids, parents, comm where known), else what differs. */
export function mismatch(got: AncestryResult | undefined, want: TruthChainEntry[]): string {
  if (got === undefined) return showChains(got, want);
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got.chain[i];
    if (g === undefined || g.pid !== w.pid) return showChains(got, want);
    if (i < want.length - 1 && (g.ppid !== w.ppid || (g.comm !== undefined && g.comm !== w.comm))) return showChains(got, want);
  }
  return '';
}

/** The history's ancestry at the probe, undefined when it knows no process there. */
export async function askAncestry(store: HistoryStore, probe: TruthProbe): Promise<AncestryResult | undefined> {
  try {
    return await ancestryAt(store, { pid: probe.pid, atNs: probe.atNs });
  } catch {
    return undefined;
  }
}

/**
 * No record touching a chain member near the probe: its own records, and fork records by
 * its parent or returning its pid (inside a pid namespace a fork does not return the host
 * pid, so every fork by the parent counts).
 */
export function settledAmong(syscalls: ProcessSyscall[], probe: TruthProbe, want: TruthChainEntry[]): boolean {
  return want.every((entry) =>
    syscalls.every((s) => {
      const touches = s.pid === entry.pid || (FORK_SYSCALLS.has(s.name) && (s.pid === entry.ppid || s.exit === entry.pid));
      if (!touches) return true;
      const before = s.name === 'exit_group' ? EXIT_IN_PROGRESS_NS : SETTLE_BEFORE_NS;
      return s.rec.timeNs > probe.atNs + SETTLE_AFTER_NS || s.rec.timeNs < probe.atNs - before;
    }),
  );
}

/** A capture ingested into a fresh SQLite file for a test file, with its process syscalls. */
export interface IngestedCapture {
  readonly capture: Capture;
  readonly store: HistoryStore;
  readonly syscalls: ProcessSyscall[];
}

/**
 * Ingests the named real capture before the file's tests (vitest hooks) and removes the
 * database after them. The returned object reads through to what beforeAll made.
 */
export function useIngestedCapture(name: string): IngestedCapture {
  const capture = listAuditdCaptures().find((c) => c.meta.name === name);
  const dir = mkdtempSync(join(tmpdir(), `proc-tree-${name}-`));
  let store: HistoryStore | undefined;
  let syscalls: ProcessSyscall[] | undefined;
  beforeAll(async () => {
    if (capture === undefined) throw new Error(`samples/auditd/${name} is missing (see samples/auditd/README.md)`);
    const db = join(dir, 'h.db');
    await runIngest({ db, inputs: [capture.logDir] });
    store = await openHistoryStore(db);
    syscalls = processSyscalls(scanAuditLogs(capture.logFiles).records);
  }, 120_000);
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error(`capture ${name} is only ingested inside tests (beforeAll)`);
    return value;
  };
  return {
    get capture() { return ready(capture); },
    get store() { return ready(store); },
    get syscalls() { return ready(syscalls); },
  };
}
