import { readFileSync } from 'node:fs';
import type { ProcEvent } from '../../../src/events/proc-event.js';

/** samples/README.md truth format, with truth-probe's `beginNs` extension. */
export interface Truth {
  scenario: string;
  probes: Array<{
    beginNs?: string;
    atNs: string;
    pid: number;
    chain: Array<{ pid: number; ppid: number; comm: string; startTimeNs: string }>;
  }>;
}

export function readTruth(path: string): Truth {
  return JSON.parse(readFileSync(path, 'utf8')) as Truth;
}

interface Span {
  fromNs: bigint;
  ppid: number | undefined;
  /** Set once the process exited: no parent after this. */
  exitNs?: bigint;
}

/**
 * Who each pid's parent was, over time, according to a ProcEvent stream: the minimum a
 * test needs to check ancestry at a past time without depending on the history store.
 */
export class ParentTimeline {
  private readonly spans = new Map<number, Span[]>();

  add(event: ProcEvent): void {
    switch (event.kind) {
      case 'fork':
        this.open(event.childPid, event.timestampNs, event.parentPid);
        break;
      case 'observed':
        if (event.ppid !== undefined) this.open(event.pid, event.timestampNs, event.ppid);
        break;
      case 'exit': {
        const last = this.spans.get(event.pid)?.at(-1);
        if (last && last.exitNs === undefined) last.exitNs = event.timestampNs;
        break;
      }
      default:
        break;
    }
  }

  /** Every parent the pid had at some instant in [fromNs, toNs] (empty when unknown or dead). */
  parentsDuring(pid: number, fromNs: bigint, toNs: bigint): Set<number> {
    const parents = new Set<number>();
    for (const span of this.spans.get(pid) ?? []) {
      const spanEnd = span.exitNs ?? BigInt(Number.MAX_SAFE_INTEGER) * 1_000_000_000n;
      // The span [fromNs, exitNs] overlaps the window, and it is the latest one opened by then.
      if (span.fromNs <= toNs && spanEnd >= fromNs && span.ppid !== undefined) parents.add(span.ppid);
    }
    return parents;
  }

  private open(pid: number, atNs: bigint, ppid: number): void {
    let list = this.spans.get(pid);
    if (!list) this.spans.set(pid, (list = []));
    const last = list.at(-1);
    // A later span replaces the parent from its start on: close the previous one there.
    if (last && last.exitNs === undefined) last.exitNs = atNs;
    list.push({ fromNs: atNs, ppid });
  }
}

export interface Mismatch {
  atNs: string;
  pid: number;
  expectedPpid: number;
  got: number[];
}

/** Checks every link of every probed chain against the timeline; returns the mismatches. */
export function checkTruth(truth: Truth, timeline: ParentTimeline): { links: number; mismatches: Mismatch[] } {
  let links = 0;
  const mismatches: Mismatch[] = [];
  for (const probe of truth.probes) {
    const toNs = BigInt(probe.atNs);
    const fromNs = BigInt(probe.beginNs ?? probe.atNs);
    for (const entry of probe.chain) {
      if (entry.pid <= 1) continue; // init's parent is 0 by definition
      links++;
      const parents = timeline.parentsDuring(entry.pid, fromNs, toNs);
      if (!parents.has(entry.ppid)) {
        mismatches.push({ atNs: probe.atNs, pid: entry.pid, expectedPpid: entry.ppid, got: [...parents] });
      }
    }
  }
  return { links, mismatches };
}
