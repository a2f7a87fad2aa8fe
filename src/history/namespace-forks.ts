import type { BuilderContext } from './builder-context.js';
import { closeInstance } from './close-instance.js';
import type { WriteEvidence } from './history-writer.js';
import { linkParent, type AwaitingFork, type HostTable, type LiveProc, type NamespaceClaim } from './live-process-table.js';

/**
 * Forks made inside a pid namespace (containers).
 *
 * Audit's `pid=`/`ppid=` are pids in the initial namespace, but a fork's return value
 * (`exit=`, our ForkEvent.childPid) is the child's pid in the *caller's* namespace. Taken as
 * a host pid it names another process or none (samples/auditd/pid-namespace: a namespaced
 * dash's vfork returned 3570, the host pid of an unrelated `sleep`, and a nested unshare's
 * clone returned 3572, the host pid of its own grandparent). Nothing in the fork record
 * says the caller is namespaced (unshare(2)/setns(2) are not audited), so it is found from
 * its effect: a fork of P returned Y, no record of Y has come since, and a never-seen pid X,
 * far from Y, execs naming P as its parent (the limits below keep ordinary logs out). The
 * instances opened under such Ys are withdrawn, and from then on P's forks (and its
 * descendants') open nothing by themselves: each child becomes known from its own record
 * (pid=X ppid=P) and is matched to one of P's fork records for its start time.
 *
 * A process created by clone(CLONE_NEWPID) (ForkEvent.newPidNamespace: how container
 * runtimes start a container's init) is namespaced from birth (fork-event.ts marks it), so
 * none of its forks is ever taken as a host pid, before any detection: that also holds when
 * its local pids are numerically near host ones, where detection below never fires
 * (samples/auditd/clone-newpid: ns_last_pid steered to host pids of the same capture).
 *
 * Which fork is X's is not in the log (it has no namespace-local pid of X): a child takes
 * its parent's oldest waiting fork, and recent matches of one parent are then re-paired so
 * that lower host pids get earlier forks (the kernel hands out pids in fork order). What
 * stays unknowable: the forks of P made before the first sighting that revealed it (their
 * instances are withdrawn, but a live process they closed as "pid reused" stays closed),
 * and a namespaced process that never has a child exec within NAMESPACE_DETECT_NS of an
 * unconfirmed fork is never detected (its children then look like ordinary first sightings:
 * right parent, "seen since" start).
 */

/** Forks of one namespaced process waiting for their child's own record: at most this many... */
export const MAX_AWAITING_FORKS = 1024;
/** ... and for at most this long in log time (a child that never leaves a record: a thread, killed at once). */
export const AWAITING_FORK_TTL_NS = 30_000_000_000n;
/** A fork and its child's first record lie at most this far apart (as LATE_FORK_MERGE_NS). */
export const NAMESPACE_MATCH_NS = 2_000_000_000n;
/**
 * Detection looks only at forks this recent: a child's first record (exec, exit, fork)
 * comes within milliseconds of its fork, far sooner than this.
 */
export const NAMESPACE_DETECT_NS = 500_000_000n;
/**
 * ... and only at returned pids at least this far from the new child's pid. Host pids come
 * from one counter in order, so two children a process forked within NAMESPACE_DETECT_NS
 * have nearby pids (a machine forks a few thousand a second at most); a namespace-local
 * pid has no relation to the host's counter. Why it is needed: a multithreaded parent
 * (python's subprocess from threads: real-raw, threads-spawn) has vfork children whose
 * own records come before the vfork record and before their siblings' records, which
 * without this would look exactly like a namespaced parent.
 */
export const NAMESPACE_PID_GAP = 1024;

const distance = (a: bigint, b: bigint): bigint => (a > b ? a - b : b - a);

/**
 * `child`, first seen just now (a "seen since" instance), names `parent` as its parent.
 * If the parent is namespaced, or this sighting shows it is, the child is matched to one
 * of the parent's fork records. Only a first record that is an exec can show it: a new
 * child execs within milliseconds of its fork, while a process that existed before the
 * log (first met when it forks or exits, e.g. every daemon at the start of a log, next to
 * init's fresh forks) proves nothing about its parent's forks.
 */
export function onFirstParent(ctx: BuilderContext, h: HostTable, child: LiveProc, parent: LiveProc, t: bigint, byExec: boolean): void {
  if (parent.nsLocal !== true && !(byExec && detectNamespacedCaller(ctx, h, child, parent, t))) return;
  child.nsLocal = true;
  claimFork(ctx, h, child, parent, t);
}

/**
 * A fork record of a namespaced process: a child whose own record came first (vfork: the
 * child execs before its parent's vfork returns) is merged into it, else it waits.
 */
export function onNamespacedFork(ctx: BuilderContext, h: HostTable, parent: LiveProc, localPid: number, t: bigint, ev: WriteEvidence | undefined): void {
  const early = earliestUnforkedChild(h, parent, t);
  const fork: AwaitingFork = { forkNs: t, localPid, ...(ev ? { evidence: ev } : {}) };
  if (early !== undefined) return setForkOf(ctx, h, early, parent, fork);
  let queue = h.awaiting.get(parent.id);
  if (queue === undefined) h.awaiting.set(parent.id, (queue = []));
  while (queue.length > 0 && (queue.length >= MAX_AWAITING_FORKS || t - queue[0]!.forkNs > AWAITING_FORK_TTL_NS)) queue.shift();
  queue.push(fork);
}

/**
 * The parent forked Y (unconfirmed: no record of Y since) shortly before, and X, far from
 * Y, appears as its child: Y was a namespace-local pid. Withdraws the instances opened under
 * such pids (ended at their start: they exist at no time; the rows stay as evidence) and
 * turns their forks into awaiting ones. Returns true when the parent is namespaced.
 */
function detectNamespacedCaller(ctx: BuilderContext, h: HostTable, child: LiveProc, parent: LiveProc, t: bigint): boolean {
  // Host pid 1 is the initial namespace's init: its forks return host pids.
  if (parent.pid === 1) return false;
  const siblings = h.children.get(parent.id);
  if (siblings === undefined) return false;
  const wrong: LiveProc[] = [];
  for (const s of siblings) {
    if (s.unconfirmed !== true || s === child || s.ppid !== parent.pid || distance(s.startNs, t) > NAMESPACE_DETECT_NS) continue;
    // One nearby pid means the counters agree: an ordinary host fork not confirmed yet.
    if (Math.abs(s.pid - child.pid) < NAMESPACE_PID_GAP) return false;
    wrong.push(s);
  }
  if (wrong.length === 0) return false;
  parent.nsLocal = true;
  ctx.stats.namespacedCallers++;
  wrong.sort((a, b) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0));
  const queue: AwaitingFork[] = [];
  for (const s of wrong) {
    closeInstance(ctx, h, s, s.startNs, 'inferred', 'namespace-local-pid', undefined, undefined, s.forkEvidence);
    ctx.stats.namespaceForksWithdrawn++;
    queue.push({ forkNs: s.startNs, localPid: s.pid, ...(s.forkEvidence ? { evidence: s.forkEvidence } : {}) });
  }
  h.awaiting.set(parent.id, [...(h.awaiting.get(parent.id) ?? []), ...queue]);
  return true;
}

function claimFork(ctx: BuilderContext, h: HostTable, child: LiveProc, parent: LiveProc, t: bigint): void {
  const queue = h.awaiting.get(parent.id);
  while (queue !== undefined && queue.length > 0) {
    const fork = queue.shift()!;
    if (t - fork.forkNs > AWAITING_FORK_TTL_NS) continue;
    if (queue.length === 0) h.awaiting.delete(parent.id);
    return setForkOf(ctx, h, child, parent, fork);
  }
  h.awaiting.delete(parent.id);
}

/**
 * A child of the namespaced parent seen before the parent's fork record, waiting for it
 * (it may have been met before the parent was known to be namespaced: a vfork child's
 * exec names a parent whose own first record is this vfork).
 */
function earliestUnforkedChild(h: HostTable, parent: LiveProc, t: bigint): LiveProc | undefined {
  let best: LiveProc | undefined;
  for (const c of h.children.get(parent.id) ?? []) {
    if (c.startKnown || distance(c.startNs, t) > NAMESPACE_MATCH_NS) continue;
    if (best === undefined || c.startNs < best.startNs) best = c;
  }
  return best;
}

/** The child was born at this fork: its start and first parent row become the fork's. */
function setForkOf(ctx: BuilderContext, h: HostTable, child: LiveProc, parent: LiveProc, fork: AwaitingFork): void {
  const firstSeenNs = child.startNs;
  writeFork(ctx, child, parent, fork.forkNs < firstSeenNs ? fork.forkNs : firstSeenNs, fork.evidence);
  child.nsLocal = true;
  child.ppid = parent.pid;
  linkParent(h, child, parent.id);
  if (child.image === undefined && parent.image !== undefined) child.image = parent.image;
  ctx.stats.namespaceChildrenMatched++;
  inPidOrder(ctx, h, parent, { child, fork, firstSeenNs });
}

function writeFork(ctx: BuilderContext, child: LiveProc, parent: LiveProc, forkNs: bigint, evidence: WriteEvidence | undefined): void {
  ctx.writer.setForkStart(child.id, forkNs, parent.pid, parent.id, evidence);
  ctx.writer.setFirstParentFromFork(child.id, { sinceNs: forkNs, ppid: parent.pid, parentId: parent.id, kind: 'fork', ...(evidence ? { evidence } : {}) });
  child.startNs = forkNs;
  child.startKnown = true;
}

/** Recent matches kept per parent for inPidOrder. */
const MAX_CLAIMS = 64;

/**
 * Matching takes a parent's oldest fork for whichever child shows up first, but children
 * of one parent show up in any order (a pipeline's stages exec side by side). Host pids
 * are handed out in fork order, so among the recent matches of one parent the lowest pid
 * gets the earliest fork: the matches are re-paired that way when every fork then still
 * precedes its child's first record (else the order is left as matched).
 */
function inPidOrder(ctx: BuilderContext, h: HostTable, parent: LiveProc, claim: NamespaceClaim): void {
  const recent = (h.claims.get(parent.id) ?? []).filter((c) => distance(c.fork.forkNs, claim.fork.forkNs) <= NAMESPACE_MATCH_NS);
  recent.push(claim);
  if (recent.length > MAX_CLAIMS) recent.shift();
  h.claims.set(parent.id, recent);
  const group = recent.filter((c) => Math.abs(c.child.pid - claim.child.pid) < NAMESPACE_PID_GAP);
  if (group.length < 2) return;
  const children = group.map((c) => c).sort((a, b) => a.child.pid - b.child.pid);
  const forks = group.map((c) => c.fork).sort((a, b) => (a.forkNs < b.forkNs ? -1 : a.forkNs > b.forkNs ? 1 : 0));
  if (children.some((c, i) => forks[i]!.forkNs > c.firstSeenNs)) return;
  children.forEach((c, i) => {
    const fork = forks[i]!;
    if (c.fork === fork) return;
    c.fork = fork;
    writeFork(ctx, c.child, parent, fork.forkNs, fork.evidence);
  });
}
