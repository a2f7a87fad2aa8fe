import { resolve } from 'node:path';
import { formatTimeNs } from '../time/format-time.js';
import type { SourceRow } from './source-registry.js';

/**
 * An input recognised by its content (head hash) as one ingested before under another
 * name (a copy, a renamed rotation, evidence exported twice): say which, and when, so
 * "0 bytes" does not look like an empty or unread file. Undefined under the same name.
 */
export function sameContentNote(path: string, found: SourceRow): string | undefined {
  if (resolve(path) === resolve(found.path)) return undefined;
  const when = found.lastIngestNs === undefined ? '' : `, ingested ${formatTimeNs(found.lastIngestNs)}`;
  return `same content as ${found.path}${when}`;
}
