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
import { describe, expect, it } from 'vitest';
import { ancestryAt } from '../../src/history/ancestry-at.js';
import { NoProcessAtTimeError } from '../../src/history/query-errors.js';
import { FORK_SYSCALLS, type ProcessSyscall } from '../support/audit-records.js';
import { askAncestry, knowable, mismatch, settledAmong, useIngestedCapture } from '../support/probe-truth.js';
import type { TruthChainEntry, TruthProbe } from '../support/truth.js';

const run = useIngestedCapture('pid-namespace');
const ask = (probe: TruthProbe) => askAncestry(run.store, probe);
const settled = (probe: TruthProbe, want: TruthChainEntry[]): boolean => settledAmong(run.syscalls, probe, want);

/** Fork records made inside the namespace: the pid they returned is not the child /proc saw. */
function namespacedForks(): ProcessSyscall[] {
  const starts = run.capture.truth.probes.map((p) => p.chain[0]!);
  return run.syscalls.filter(
    (s) =>
      FORK_SYSCALLS.has(s.name) &&
      s.exit !== undefined &&
      s.exit > 0 &&
      // No process /proc showed under that pid started at the fork.
      !starts.some((e) => e.pid === s.exit && e.startTimeNs >= s.rec.timeNs - 15_000_000n && e.startTimeNs <= s.rec.timeNs + 60_000_000n),
  );
}

describe('ancestry of processes inside a pid namespace (real capture pid-namespace)', () => {
  it('gives every settled probe the chain /proc showed, inside and outside the namespace', async () => {
    const c = run.capture;
    const results = [];
    for (const probe of c.truth.probes) {
      const want = knowable(probe, c);
      results.push({ probe, settled: settled(probe, want), miss: mismatch(await ask(probe), want) });
    }
    const matched = results.filter((r) => r.miss === '').length;
    const settledOnes = results.filter((r) => r.settled);
    console.log(`pid-namespace: ${matched}/${results.length} probes match (${settledOnes.filter((r) => r.miss === '').length}/${settledOnes.length} settled)`);
    expect(settledOnes.filter((r) => r.miss !== '').map((r) => `pid ${r.probe.pid} at ${r.probe.atNs}: ${r.miss}`)).toEqual([]);
    expect(settledOnes.length).toBeGreaterThan(results.length / 2);
    // The namespace's processes are among the settled matches (not only the host's).
    const inside = new Set(namespacedForks().map((f) => f.pid));
    expect(settledOnes.filter((r) => inside.has(r.probe.chain[1]?.pid ?? -1)).length).toBeGreaterThan(10);
  });

  it('keeps host processes whose pid a fork inside the namespace returned under their own parent, at every later probe', async () => {
    const c = run.capture;
    const forks = namespacedForks();
    // Every probe of such a process after that fork (what a wrong fork would change) and
    // before its exit record (after it, /proc can still show it while do_exit runs).
    const exited = (p: TruthProbe) => run.syscalls.some((s) => s.name === 'exit_group' && s.pid === p.pid && s.rec.timeNs <= p.atNs);
    const victims = c.truth.probes.filter((p) => !exited(p) && forks.some((f) => f.exit === p.pid && f.pid !== p.chain[0]!.ppid && f.rec.timeNs < p.atNs));
    console.log(`pid-namespace: ${victims.length} probes of host processes after a namespaced fork returned their pid`);
    // The steered vfork hit the host sleep; the nested unshare's clone hit the outer unshare.
    expect(new Set(victims.map((p) => p.pid)).size).toBeGreaterThanOrEqual(2);
    for (const probe of victims) {
      const got = await ask(probe);
      expect(mismatch(got, knowable(probe, c)), `pid ${probe.pid} at ${probe.atNs}`).toBe('');
      // Only the harness shell's unknown parent may be uncertain (no "gone without an exit
      // record", no cycle: what the wrong fork made of it before).
      expect(got!.notes.filter((n) => !n.startsWith('chain ends at pid')), `pid ${probe.pid} at ${probe.atNs}`).toEqual([]);
    }
  });

  it('has no process under a namespace-local pid that no host process held', async () => {
    const probedPids = new Set(run.capture.truth.probes.map((p) => p.pid));
    const local = namespacedForks().filter((f) => !probedPids.has(f.exit!));
    expect(local.length).toBeGreaterThanOrEqual(5);
    for (const f of local) {
      for (const dt of [1_000_000n, 20_000_000n]) {
        await expect(ancestryAt(run.store, { pid: f.exit!, atNs: f.rec.timeNs + dt }), `pid ${f.exit} after ${f.rec.serial}`).rejects.toThrow(NoProcessAtTimeError);
      }
    }
  });
});
