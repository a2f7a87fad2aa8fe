import type { AssembledEvent } from '../../adapters/auditd/reassemble.js';
import type { HistoryReader, SourceDigest } from '../history/history-store.js';
import { contentMatches } from '../sources/content-matches.js';

/**
 * explain and report --event read an event's records again from the logs the history
 * names: a log edited since (pid=30635 made pid=10635, same length) would be shown as the
 * evidence while the chain comes from what was ingested. So each log the records came from
 * is hashed again as ingest hashed it (its first `bytes` bytes, decompressed for .gz and
 * zip entries) and compared with the stored SHA-256; shorter than that is changed too. A
 * log without a stored hash (ingested before it was kept, or given as INPUT under another
 * name) is not checked. Cost: the hashed prefix is read once, ~0.3 s for the 336 MB
 * combined.log (see the commit).
 */

/** A log whose content is not what was ingested. */
export interface ChangedSource {
  name: string;
  /** The bytes the stored hash covers. */
  bytes: number;
}

/** The logs among `names` (evidence file names: path or archive.zip!/entry) whose content differs from `digests`. */
export async function changedSources(names: Iterable<string>, digests: ReadonlyMap<string, SourceDigest>): Promise<ChangedSource[]> {
  const changed: ChangedSource[] = [];
  for (const name of new Set(names)) {
    const digest = digests.get(name);
    if (digest === undefined) continue;
    if (!(await contentMatches(name, digest))) changed.push({ name, bytes: digest.bytes });
  }
  return changed;
}

/** The warning line for one changed log (text output and stderr). */
export function changedSourceWarning(c: ChangedSource): string {
  return `WARNING: ${c.name} changed since it was ingested (sha256 of its first ${c.bytes} bytes differs): the records shown are today's file, not what was ingested`;
}

/** Exit status of explain and report --event when a log read again changed since ingest. */
export const SOURCE_CHANGED_EXIT = 3;

/** The logs `event`'s records were read from again that changed since the history ingested them. */
export async function eventSourceChanges(reader: HistoryReader, event: AssembledEvent): Promise<ChangedSource[]> {
  const digests = await reader.sourceDigests();
  if (digests.size === 0) return [];
  return changedSources(event.positions.map((p) => p.file), digests);
}

/**
 * The warnings for the logs `event` was read again from that changed since ingest, each
 * written to `stderr` at once (before any refusal the edit may cause), for explain and report.
 */
export async function warnChangedSources(reader: HistoryReader, event: AssembledEvent, stderr: { write(text: string): unknown }): Promise<string[]> {
  const warnings = (await eventSourceChanges(reader, event)).map(changedSourceWarning);
  for (const w of warnings) stderr.write(`${w}\n`);
  return warnings;
}
