import { resolve } from 'node:path';
import { formatTimeNs } from '../time/format-time.js';
import type { SourceRow } from './source-registry.js';

/**
 * An input recognised by its head hash (and size) as one ingested before under another
 * name (a copy, a renamed rotation, evidence exported twice): say which, and when, so
 * "0 bytes" does not look like an empty or unread file. Undefined under the same name.
 * `verified`: its content (decompressed, for a .gz) hashed as the source's stored SHA-256
 * (open-auditd-source.ts); otherwise only the head and the size were compared (a source
 * ingested before the hash was kept), and an edit elsewhere that keeps the length would pass: do not call it
 * the same content then.
 */
export function sameContentNote(path: string, found: SourceRow, verified = false): string | undefined {
  if (samePath(path, found)) return undefined;
  const when = found.lastIngestNs === undefined ? '' : `, ingested ${formatTimeNs(found.lastIngestNs)}`;
  if (verified && found.content !== undefined) return `same content (sha256 of its ${found.content.bytes} bytes) as ${found.path}${when}`;
  return `same first ${found.headBytes} bytes and size as ${found.path}${when} (taken as that log; the rest is not compared)`;
}

/** Whether `path` names the file `found` was ingested from (relative or not). */
export const samePath = (path: string, found: SourceRow): boolean => resolve(path) === resolve(found.path);
