import type { ProcEvent } from '../events/proc-event.js';
import { compare } from './position-ring.js';

/**
 * Makes re-reading idempotent. A resumed ingest starts a little before the adapter's oldest
 * pending record, so it re-emits events that are already stored; those are recognised by
 * host + kind + source id (audit `sec.ms:serial` is unique per host) and skipped. Loss
 * events before the previous run's pending point are skipped too: the gap detector
 * restarts there without the serials seen before, so it may report holes that are not.
 */
export interface SavedGuard {
  /** [sources.id, offset, key] of events at or after the resume point. */
  entries: [number, number, string][];
  /** The previous run's pending point: [sources.id, offset]. */
  lossFloor?: [number, number];
}

interface Entry {
  src: number;
  off: number;
  key: string;
}

export function eventKey(e: ProcEvent): string | undefined {
  const id = e.evidence?.id;
  return id === undefined ? undefined : keyFrom(e.host, e.kind, id);
}

function keyFrom(host: string | undefined, kind: ProcEvent['kind'], id: string): string {
  return `${host ?? ''}\u0000${kind}\u0000${id}`;
}

export class ResumeGuard {
  private readonly saved = new Set<string>();
  private savedEntries: Entry[] = [];
  /** Entries of this run that the last checkpoint kept. */
  private recent: Entry[] = [];
  /**
   * Events stored since the last checkpoint, as parallel lists: their key is built only for
   * the few a checkpoint keeps (an object and a key string per event, held until the next
   * commit, reached the old generation by the hundred thousand).
   */
  private newSrc: number[] = [];
  private newOff: number[] = [];
  private newHost: (string | undefined)[] = [];
  private newKind: ProcEvent['kind'][] = [];
  private newId: string[] = [];
  private readonly lossFloor: [number, number] | undefined;
  skipped = 0;
  private lastEvent: ProcEvent | undefined;
  private lastKey: string | undefined;

  constructor(saved: SavedGuard | undefined) {
    for (const [src, off, key] of saved?.entries ?? []) {
      this.saved.add(key);
      this.savedEntries.push({ src, off, key });
    }
    this.lossFloor = saved?.lossFloor;
  }

  /** True when the event is already stored (re-read after a resume). */
  isStored(e: ProcEvent, src: number | undefined, ordOf: (src: number) => number | undefined): boolean {
    // Nothing saved (a first run, or past the re-read part): no key to build per event.
    const key = this.saved.size === 0 ? undefined : this.keyOf(e);
    if (key !== undefined && this.saved.has(key)) {
      this.skipped++;
      return true;
    }
    if (e.kind === 'loss' && this.lossFloor !== undefined && src !== undefined && e.evidence !== undefined) {
      const [floorSrc, floorOff] = this.lossFloor;
      const ord = ordOf(src);
      const floorOrd = ordOf(floorSrc);
      if (ord !== undefined && floorOrd !== undefined && compare(ord, e.evidence.offset, floorOrd, floorOff) < 0) {
        this.skipped++;
        return true;
      }
    }
    return false;
  }

  /** An event that went into the store (or was skipped as stored) at this position. */
  record(e: ProcEvent, src: number | undefined): void {
    const id = e.evidence?.id;
    if (src === undefined || id === undefined) return;
    this.newSrc.push(src);
    this.newOff.push(e.evidence!.offset);
    this.newHost.push(e.host);
    this.newKind.push(e.kind);
    this.newId.push(id);
  }

  /** eventKey, built once for the isStored + record pair of one event. */
  private keyOf(e: ProcEvent): string | undefined {
    if (e !== this.lastEvent) {
      this.lastEvent = e;
      this.lastKey = eventKey(e);
    }
    return this.lastKey;
  }

  /** What the next run needs: events at or after `resume`, and the pending point for losses. */
  checkpoint(resume: { src: number; off: number }, pending: { src: number; off: number }, ordOf: (src: number) => number | undefined): SavedGuard {
    const resumeOrd = ordOf(resume.src) ?? 0;
    const keep = (e: Entry): boolean => {
      const ord = ordOf(e.src);
      return ord === undefined || compare(ord, e.off, resumeOrd, resume.off) >= 0;
    };
    const recent = this.recent.filter(keep);
    for (let i = 0; i < this.newSrc.length; i++) {
      const entry: Entry = { src: this.newSrc[i]!, off: this.newOff[i]!, key: '' };
      if (!keep(entry)) continue;
      entry.key = keyFrom(this.newHost[i], this.newKind[i]!, this.newId[i]!);
      recent.push(entry);
    }
    this.recent = recent;
    this.newSrc = [];
    this.newOff = [];
    this.newHost = [];
    this.newKind = [];
    this.newId = [];
    this.savedEntries = this.savedEntries.filter(keep);
    const seen = new Set<string>();
    const entries: [number, number, string][] = [];
    for (const e of [...this.savedEntries, ...this.recent]) {
      if (seen.has(e.key)) continue;
      seen.add(e.key);
      entries.push([e.src, e.off, e.key]);
    }
    return { entries, lossFloor: [pending.src, pending.off] };
  }
}
