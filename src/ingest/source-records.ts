import { widen, type AuditPoint } from './record-range.js';
import type { SourceEvidence } from './source-evidence.js';

/**
 * What each source of this run holds, as its row will record it: the span of its audit ids,
 * the record read from its highest offset and how many process events were stored from it.
 * Starts from what the row held when the run began (a resumed source goes on from there) and
 * takes every event of the run as it is read, so the next run reads one row per source
 * instead of scanning the evidence of every stored instance, parent and image (that scan was
 * ~0.15 CPU-s per run on the 1.1M-line real-enriched-200 history, 232k rows).
 */
export class SourceRecords {
  private readonly bySource = new Map<number, SourceEvidence>();
  private stored: Map<number, SourceEvidence> | undefined;

  /** `known`: the host's sources as stored when the run began (read when first needed). */
  constructor(private readonly known: () => readonly SourceEvidence[]) {}

  /**
   * An event read from source `src` at byte `off` with audit id `p` (losses excluded: their
   * id is the gap's). `stored`: it went into the store now (not re-read after a resume).
   */
  see(src: number, path: string, p: AuditPoint, off: number, stored: boolean): void {
    const s = this.of(src) ?? this.start(src, path);
    s.range = widen(s.range, p);
    if (s.last === undefined || off >= s.last.off) s.last = { rec: p.rec, off };
    if (stored && s.count !== undefined) s.count++;
  }

  /** What the source holds now (undefined: not stored before and nothing read from it yet). */
  of(src: number): SourceEvidence | undefined {
    let s = this.bySource.get(src);
    if (s !== undefined) return s;
    this.stored ??= new Map(this.known().map((e) => [e.id, e]));
    const before = this.stored.get(src);
    if (before === undefined) return undefined;
    s = { ...before };
    if (before.range !== undefined) s.range = { ...before.range };
    this.bySource.set(src, s);
    return s;
  }

  private start(src: number, path: string): SourceEvidence {
    const s: SourceEvidence = { id: src, path, count: 0 };
    this.bySource.set(src, s);
    return s;
  }
}

/** Compares what a commit would write with what the previous one wrote (commit-positions.ts). */
export function recordsKey(e: SourceEvidence | undefined): string {
  return e === undefined ? '' : `${e.count ?? ''}|${e.range?.first.rec ?? ''}|${e.range?.last.rec ?? ''}|${e.last?.off ?? ''}`;
}
