import type { ReadPosition } from './position-ring.js';
import { digestAt, type ReadSource } from './read-source.js';
import type { SourceEvidence } from './source-evidence.js';
import type { SourceRegistry } from './source-registry.js';
import { recordsKey } from './source-records.js';

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
export function commitPositions(
  registry: SourceRegistry,
  sources: readonly ReadSource[],
  resume: ReadPosition,
  final: boolean,
  nowNs: bigint,
  recordsOf: (src: number) => SourceEvidence | undefined,
): void {
  for (const s of sources) {
    const records = recordsOf(s.id);
    if (s.ord < resume.ord) commitIfChanged(registry, s, s.consumedOffset, s.consumedLine, s.finished, nowNs, records);
    else if (s.ord === resume.ord) {
      const complete = final && s.finished && resume.offset >= s.consumedOffset;
      commitIfChanged(registry, s, resume.offset, resume.line, complete, nowNs, records);
    } else commitIfChanged(registry, s, s.startOffset, s.startLine, false, nowNs, records);
  }
}

/**
 * Skips a row whose position and identity are what the previous commit of this run wrote:
 * rewriting every source at every commit made a zip of many entries quadratic (sources x
 * commits). Its last_ingest_ns then stays at that earlier commit of the same run.
 */
function commitIfChanged(registry: SourceRegistry, s: ReadSource, offset: number, line: number | undefined, complete: boolean, nowNs: bigint, records: SourceEvidence | undefined): void {
  const c = s.committed;
  const held = recordsKey(records);
  if (
    c !== undefined &&
    c.offset === offset &&
    c.line === line &&
    c.complete === complete &&
    c.headSha256 === s.key.headSha256 &&
    c.headBytes === s.key.headBytes &&
    c.size === s.info.size &&
    c.dev === s.info.dev &&
    c.inode === s.info.inode &&
    c.records === held
  ) {
    return;
  }
  const content = digestAt(s, offset);
  registry.commit(s.id, offset, line, complete, s.key, s.info, nowNs, { records, content });
  if (content === undefined) {
    delete s.report.sha256;
    delete s.report.sha256Bytes;
  } else {
    s.report.sha256 = content.sha256;
    s.report.sha256Bytes = content.bytes;
  }
  s.committed = { offset, line, complete, headSha256: s.key.headSha256, headBytes: s.key.headBytes, size: s.info.size, dev: s.info.dev, inode: s.info.inode, records: held };
}
