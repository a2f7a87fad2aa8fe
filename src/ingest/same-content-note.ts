import { resolve } from 'node:path';
import { formatTimeNs } from '../time/format-time.js';
import type { SourceRow } from './source-registry.js';

/**
 * An input recognised by its head hash (and size) as one ingested before under another
 * name (a copy, a renamed rotation, evidence exported twice): say which, and when, so
 * "0 bytes" does not look like an empty or unread file. Undefined under the same name.
 */
export function sameContentNote(path: string, found: SourceRow): string | undefined {
  if (resolve(path) === resolve(found.path)) return undefined;
  const when = found.lastIngestNs === undefined ? '' : `, ingested ${formatTimeNs(found.lastIngestNs)}`;
  // Only the head and the size were compared (and the last stored record found in place):
  // an edit elsewhere that keeps the length passes, so do not call it the same content.
  return `same first ${found.headBytes} bytes and size as ${found.path}${when} (taken as that log; the rest is not compared)`;
}
