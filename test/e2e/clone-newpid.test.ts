/**
 * End to end on the real capture samples/auditd/clone-newpid: a container's init made the
 * way runtimes make it, clone(CLONE_NEWPID | SIGCHLD), running sh -c with pipelines, an exec
 * chain and subshells beside host processes; ingested into a real SQLite file and asked for
 * the ancestry at every /proc probe (read from the host).
 *
 * What makes it hard: audit's pid=/ppid= are host pids but a fork's exit= is the child's
 * pid in the caller's namespace, and ns_last_pid was steered so that the namespaced sh's
 * *first* fork returned the host pid of a live host `sleep`; its next ones returned the
 * host pids of a host bash, of the clone's caller and of the namespaced sh itself, and
 * later ones pids of host processes that had ended. Local pids that near host ones defeat
 * the detection from effects (src/history/namespace-forks.ts): only the clone record's
 * CLONE_NEWPID says the child's forks are namespace-local.
 *
 * Which processes are inside is computed from the records, not from the code under test:
 * the child the CLONE_NEWPID clone returned, then every process whose audit ppid is inside.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ancestryAt } from '../../src/history/ancestry-at.js';
import { NoProcessAtTimeError } from '../../src/history/query-errors.js';
import { FORK_SYSCALLS, type ProcessSyscall } from '../support/audit-records.js';
import { askAncestry, knowable, mismatch, settledAmong, useIngestedCapture } from '../support/probe-truth.js';
import type { TruthChainEntry, TruthProbe } from '../support/truth.js';

/** /proc start times have 10 ms resolution. */
const TICK_NS = 10_000_000n;
const CLONE_NEWPID = 0x20000000;

const run = useIngestedCapture('clone-newpid');
const ask = (probe: TruthProbe) => askAncestry(run.store, probe);
const settled = (probe: TruthProbe, want: TruthChainEntry[]): boolean => settledAmong(run.syscalls, probe, want);
/** Host pids of the processes inside the new namespace. */
let inside: Set<number>;

beforeAll(() => {
  const syscalls = run.syscalls;
  const inits = syscalls.filter((s) => s.name === 'clone' && s.success === true && (Number.parseInt(s.rec.fields.get('a0') ?? '0', 16) & CLONE_NEWPID) !== 0);
  inside = new Set(inits.map((s) => s.exit!));
  for (let grew = true; grew; ) {
    grew = false;
    for (const s of syscalls) if (inside.has(s.ppid) && !inside.has(s.pid)) (inside.add(s.pid), (grew = true));
  }
});

/** Successful fork records made inside the namespace (their exit= is a namespace-local pid). */
function namespacedForks(): ProcessSyscall[] {
  return run.syscalls.filter((s) => FORK_SYSCALLS.has(s.name) && s.exit !== undefined && s.exit > 0 && inside.has(s.pid));
}

/**
 * When host pid `pid` held a process, from the records: from a host fork returning it or
 * its first record, to its exit_group record (open-ended when none).
 */
function hostLifetimes(pid: number): [bigint, bigint][] {
  const marks = run.syscalls
    .filter((s) => s.pid === pid || (FORK_SYSCALLS.has(s.name) && s.exit === pid && !inside.has(s.pid)))
    .map((s) => ({ t: s.rec.timeNs, end: s.pid === pid && s.name === 'exit_group' }))
    .sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
  const out: [bigint, bigint][] = [];
  let start: bigint | undefined;
  for (const m of marks) {
    start ??= m.t;
    if (m.end) (out.push([start, m.t]), (start = undefined));
  }
  if (start !== undefined) out.push([start, 2n ** 63n]);
  return out;
}

describe('ancestry of processes in a pid namespace made by clone(CLONE_NEWPID) (real capture clone-newpid)', () => {
  it('gives every settled probe the chain /proc showed, inside and outside the namespace', async () => {
    const c = run.capture;
    const results = [];
    for (const probe of c.truth.probes) {
      const want = knowable(probe, c);
      results.push({ probe, settled: settled(probe, want), miss: mismatch(await ask(probe), want) });
    }
    const matched = results.filter((r) => r.miss === '').length;
    const settledOnes = results.filter((r) => r.settled);
    console.log(`clone-newpid: ${matched}/${results.length} probes match (${settledOnes.filter((r) => r.miss === '').length}/${settledOnes.length} settled)`);
    expect(settledOnes.filter((r) => r.miss !== '').map((r) => `pid ${r.probe.pid} at ${r.probe.atNs}: ${r.miss}`)).toEqual([]);
    expect(settledOnes.length).toBeGreaterThan(results.length / 2);
    // The namespace's processes are among the settled matches (not only the host's).
    expect(settledOnes.filter((r) => inside.has(r.probe.pid)).length).toBeGreaterThan(10);
  });

  it('keeps processes whose host pid a fork inside the namespace returned as they were, at every later probe', async () => {
    const c = run.capture;
    const forks = namespacedForks();
    const exited = (p: TruthProbe) => run.syscalls.some((s) => s.name === 'exit_group' && s.pid === p.pid && s.rec.timeNs <= p.atNs);
    // Probes of a process that already existed when a namespaced fork returned its pid.
    const victims = c.truth.probes.filter(
      (p) => !exited(p) && forks.some((f) => f.exit === p.pid && f.rec.timeNs < p.atNs && p.chain[0]!.startTimeNs + TICK_NS < f.rec.timeNs),
    );
    console.log(`clone-newpid: ${victims.length} probes of processes after a namespaced fork returned their pid`);
    // The steered first fork hit the host sleep; the next ones the host bash, the clone's caller, the namespace's init.
    expect(new Set(victims.map((p) => p.pid)).size).toBeGreaterThanOrEqual(3);
    for (const probe of victims) {
      const got = await ask(probe);
      expect(mismatch(got, knowable(probe, c)), `pid ${probe.pid} at ${probe.atNs}`).toBe('');
      // Only the harness shell's unknown parent may be uncertain (no "gone without an exit record").
      expect(got!.notes.filter((n) => !n.startsWith('chain ends at pid')), `pid ${probe.pid} at ${probe.atNs}`).toEqual([]);
    }
  });

  it('has no process under a namespace-local pid that no host process held', async () => {
    const free = namespacedForks().filter((f) => !hostLifetimes(f.exit!).some(([from, to]) => from <= f.rec.timeNs + 30_000_000n && to >= f.rec.timeNs - 10_000_000n));
    expect(free.length).toBeGreaterThanOrEqual(3);
    for (const f of free) {
      for (const dt of [1_000_000n, 20_000_000n]) {
        await expect(ancestryAt(run.store, { pid: f.exit!, atNs: f.rec.timeNs + dt }), `pid ${f.exit} after ${f.rec.serial}`).rejects.toThrow(NoProcessAtTimeError);
      }
    }
  });
});
