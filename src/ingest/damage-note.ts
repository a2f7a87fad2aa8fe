import type { ReadSource } from './read-source.js';

/**
 * The summary note of an input whose (compressed) stream broke off: what was decoded before
 * the damage and what was stored are different offsets (the bytes after the last complete
 * record are read but not kept), so both are named as what they are. Offsets count bytes of
 * the decompressed log, which is what resume positions and evidence offsets refer to.
 */
export function damageNote(message: string, rs: ReadSource): string {
  const decodedTo = rs.startOffset + rs.report.bytes;
  const kept = rs.consumedOffset;
  const tail = decodedTo > kept ? `; the ${decodedTo - kept} bytes after it are a cut-off line, not stored` : '';
  return `${message}; decompressed bytes read: up to byte ${decodedTo}; stored: up to byte ${kept}, the end of the last complete record${tail}`;
}
