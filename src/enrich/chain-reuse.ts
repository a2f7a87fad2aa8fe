import type { AncestryResult } from '../history/ancestry-at.js';
import type { HistoryReader } from '../history/history-store.js';
import type { InstanceRow } from '../history/history-types.js';
import { formatTimeNs } from '../time/format-time.js';

const NS_PER_MS = 1_000_000n;
/** Chains remembered (one per host + pid); emptied when full, so memory stays bounded. */
const MAX_CHAINS = 4096;
/** Instances and pids whose change times are remembered; emptied alike. */
const MAX_FACTS = 16_384;
/** A host with more loss records than this gets no reuse (each miss would scan them). */
const MAX_LOSSES = 10_000;

interface Remembered {
  result: AncestryResult;
  fromNs: bigint;
  /** The first time at or after fromNs - 1 ms when a fact the chain rests on changes; undefined: none. */
  untilNs: bigint | undefined;
}

/**
 * Chains of the events' acting processes, reused while nothing they rest on changes.
 * Consecutive events of one process (a shell forking one command after another, a daemon's
 * connects) share their chain: measured on a real ENRICHED log (18,714 events), 69% of the
 * events gave the same process and proc_tree fields as the previous event of their pid.
 *
 * A chain computed at T (by ancestryAt's own code) is what ancestryAt answers at any later
 * T' as long as no row it can read about the chain has a time in [T - 1 ms, T' + 1 ms]:
 * the start or end of any instance of a pid in the chain (which instance holds the pid,
 * overlaps, ends in the event's millisecond), an image or parent row of an instance in
 * the chain (exec, reparent, "known only from"), the last sign of life of an instance whose
 * end is inferred ("may have ended"), a loss record of the host, the history's first or
 * last record. Every comparison ancestryAt makes with the query time is with one of those;
 * the millisecond on either side covers its same-millisecond rules (audit serials, an exec
 * in the event's millisecond). A chain whose notes name the query time itself is not kept.
 * test/enrich/chain-reuse.test.ts compares this with a query per event on every capture.
 */
export class ChainReuse {
  private readonly chains = new Map<string, Remembered>();
  private readonly pidFacts = new Map<string, Promise<PidFacts | undefined>>();
  private readonly instanceTimes = new Map<number, Promise<bigint[]>>();
  private readonly hostTimes = new Map<string, Promise<bigint[] | undefined>>();

  /** `pidInstances`: every instance of a pid, undefined when it had too many to keep (SnapshotLists.pidInstances). */
  constructor(
    private readonly reader: HistoryReader,
    private readonly pidInstances: (host: string, pid: number) => Promise<InstanceRow[] | undefined>,
  ) {}

  /** The remembered chain of `pid` if it holds at `atNs`, with `atNs` as its time. */
  lookup(host: string, pid: number, atNs: bigint): AncestryResult | undefined {
    const r = this.chains.get(`${host}\0${pid}`);
    if (r === undefined || atNs < r.fromNs || (r.untilNs !== undefined && atNs + NS_PER_MS >= r.untilNs)) return undefined;
    return { ...r.result, atNs };
  }

  /** Keeps `result` (the chain of `pid` at `atNs`) for later events, when it may be reused. */
  async remember(host: string, pid: number, atNs: bigint, result: AncestryResult): Promise<void> {
    const key = `${host}\0${pid}`;
    this.chains.delete(key);
    if (result.hostChoice !== undefined || result.host !== host) return;
    const at = formatTimeNs(atNs);
    if (result.notes.some((n) => n.includes(at)) || result.chain.some((l) => l.notes.some((n) => n.includes(at)))) return;
    const fromNs = atNs - NS_PER_MS;
    // Its own end in this millisecond (exit_group): no later event will reuse it; skip the lookups.
    const end = result.chain[0]?.endNs;
    if (end !== undefined && end >= fromNs && end <= atNs + NS_PER_MS) return;
    const hostChanges = await this.changesOfHost(host);
    if (hostChanges === undefined) return;
    let untilNs = firstAtOrAfter(hostChanges, fromNs, undefined);
    for (const p of new Set([pid, ...result.chain.map((l) => l.pid)])) {
      const facts = await this.factsOfPid(host, p);
      if (facts === undefined) return;
      untilNs = firstAtOrAfter(facts.times, fromNs, untilNs);
    }
    for (const link of result.chain) {
      if (link.instanceId === undefined) continue;
      // Its pid's instances are known (the loop above): an end inferred, or an instance not among them, adds its last sign of life.
      const settled = (await this.factsOfPid(host, link.pid))!.settled.has(link.instanceId);
      untilNs = firstAtOrAfter(await this.changesOfInstance(link.instanceId, !settled), fromNs, untilNs);
    }
    if (untilNs !== undefined && untilNs <= atNs + NS_PER_MS) return;
    if (this.chains.size >= MAX_CHAINS) this.chains.clear();
    this.chains.set(key, { result, fromNs: atNs, untilNs });
  }

  /** Loss records and the history's first and last record; undefined: too many losses to scan. */
  private changesOfHost(host: string): Promise<bigint[] | undefined> {
    return cached(this.hostTimes, host, Number.POSITIVE_INFINITY, async () => {
      const times: bigint[] = [];
      const start = await this.reader.historyStartNs(host);
      const end = await this.reader.historyEndNs(host);
      if (start !== undefined) times.push(start);
      if (end !== undefined) times.push(end);
      if (start === undefined || end === undefined) return times;
      const losses = await this.reader.lossesBetween(host, start - NS_PER_MS, end + NS_PER_MS);
      if (losses.length > MAX_LOSSES) return undefined;
      for (const l of losses) times.push(l.atNs);
      return times;
    });
  }

  /**
   * Starts and ends of every instance that held `pid`; undefined for a pid reused too often
   * to keep its instances (no chain through it is kept: on the 1M-instance bench history,
   * ~30 instances a pid, keeping chains cost more than it saved).
   */
  private factsOfPid(host: string, pid: number): Promise<PidFacts | undefined> {
    return cached(this.pidFacts, `${host}\0${pid}`, MAX_FACTS, async () => {
      const facts: PidFacts = { times: [], settled: new Set() };
      const instances = await this.pidInstances(host, pid);
      if (instances === undefined) return undefined;
      for (const i of instances) {
        facts.times.push(i.startNs);
        if (i.endNs !== undefined) facts.times.push(i.endNs);
        if (i.endCertainty !== 'inferred') facts.settled.add(i.id);
      }
      return facts;
    });
  }

  /** Image and parent rows of one instance, and with `lastSeen` its last sign of life. */
  private changesOfInstance(id: number, lastSeen: boolean): Promise<bigint[]> {
    return cached(this.instanceTimes, id, MAX_FACTS, async () => {
      const times: bigint[] = [];
      for (const r of await this.reader.images(id)) times.push(r.sinceNs);
      for (const r of await this.reader.parents(id)) times.push(r.sinceNs);
      if (lastSeen) times.push(await this.reader.lastEvidenceNs(id));
      return times;
    });
  }
}

interface PidFacts {
  /** Starts and ends of every instance of the pid. */
  times: bigint[];
  /** Its instances whose end is not inferred ("may have ended" never applies to them). */
  settled: Set<number>;
}

/** The smallest of `times` at or after `fromNs`, or `best` if that is smaller. */
function firstAtOrAfter(times: bigint[], fromNs: bigint, best: bigint | undefined): bigint | undefined {
  for (const t of times) if (t >= fromNs && (best === undefined || t < best)) best = t;
  return best;
}

function cached<K, T>(map: Map<K, Promise<T>>, key: K, max: number, load: () => Promise<T>): Promise<T> {
  let value = map.get(key);
  if (value === undefined) {
    if (map.size >= max) map.clear();
    map.set(key, (value = load()));
  }
  return value;
}
