import type { ReadPosition } from './position-ring.js';
import type { ReadSource } from './read-source.js';
import type { SourceRegistry } from './source-registry.js';

/**
 * Records in the registry where a re-run starts reading each source, given the run's
 * resume point (RESUME_CONTEXT_LINES before the adapter's oldest pending record):
 * - sources read before the resume point: where they were consumed (complete if finished);
 * - the source holding it: the resume point itself;
 * - sources after it: where this run started them (their events may still be pending).
 * Only `final` (the end of a plain ingest, nothing pending) marks the resume source
 * complete, when it was finished and the resume point is its end. A followed log never
 * commits `final`: its end is not final. Call inside the transaction holding the rows.
 */
export function commitPositions(registry: SourceRegistry, sources: readonly ReadSource[], resume: ReadPosition, final: boolean, nowNs: bigint): void {
  for (const s of sources) {
    if (s.ord < resume.ord) registry.commit(s.id, s.consumedOffset, s.consumedLine, s.finished, s.key, s.info, nowNs);
    else if (s.ord === resume.ord) {
      const complete = final && s.finished && resume.offset >= s.consumedOffset;
      registry.commit(s.id, resume.offset, resume.line, complete, s.key, s.info, nowNs);
    } else registry.commit(s.id, s.startOffset, s.startLine, false, s.key, s.info, nowNs);
  }
}
