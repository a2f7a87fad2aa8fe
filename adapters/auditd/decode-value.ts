/**
 * Decoding of raw audit field tokens (see AuditRecord.fields). The kernel logs "untrusted"
 * strings (comm, exe, cwd, argv, proctitle, path names) in one of three forms:
 *   "text"   quoted, when every byte is printable ASCII other than `"`;
 *   6869     hex of the raw bytes otherwise (spaces, quotes, control or non-ASCII bytes);
 *   (null)   for a NULL pointer.
 * Numeric fields are unquoted in RAW logs, but some producers quote them (`success="yes"`,
 * laurel's record-weblogic.txt), so `unquote` is applied to every value we read.
 */

const CH_DQUOTE = 34;
const CH_SQUOTE = 39;

/**
 * A copy of `text` that does not keep the line it was sliced from alive. V8 implements
 * slice() as a view into the parent string; the line splitter's parent is a 32 KiB piece
 * of the log, so one long-lived slice (an event's comm, kept by a process tree) would pin
 * the whole piece (measured: 35 MB held by 4096 remembered ids). Concatenating forces a
 * flat copy of just these characters.
 */
export function detach(text: string): string {
  return text.length < 13 ? text : (text + ' ').slice(0, -1);
}

/** Strips one pair of surrounding quotes, if any. */
export function unquote(raw: string): string {
  const first = raw.charCodeAt(0);
  if ((first === CH_DQUOTE || first === CH_SQUOTE) && raw.length >= 2 && raw.charCodeAt(raw.length - 1) === first) {
    return raw.slice(1, -1);
  }
  return raw;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** True when the token is a non-empty, even-length run of hex digits. */
export function isHex(raw: string): boolean {
  const n = raw.length;
  if (n === 0 || n % 2 !== 0) return false;
  for (let i = 0; i < n; i++) if (hexValue(raw.charCodeAt(i)) < 0) return false;
  return true;
}

/** Hex text to bytes; undefined when it is not hex. */
export function hexToBytes(raw: string): Buffer | undefined {
  const n = raw.length;
  if (n === 0 || (n & 1) !== 0) return undefined;
  // Node's hex decoding stops at the first pair that is not hex: whole iff every pair made
  // a byte (one native pass instead of a charCodeAt loop and then the decoding).
  const bytes = Buffer.from(raw, 'hex');
  return bytes.length * 2 === n ? bytes : undefined;
}

/**
 * Lines are read as latin1 (one char per byte, so byte offsets stay exact even with garbage
 * bytes). Quoted audit values are ASCII, but ENRICHED names and comments may be UTF-8:
 * re-decode those, leaving pure ASCII untouched (the common, cheap case).
 */
export function latin1ToUtf8(text: string): string {
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 0x7f) return Buffer.from(text, 'latin1').toString('utf8');
  }
  return text;
}

/**
 * Decodes an untrusted-string field: quoted text, hex bytes (as UTF-8, invalid bytes become
 * U+FFFD), or undefined for `(null)` / `?` / missing. An unquoted token that is not valid
 * hex is returned as is (some producers write plain words unquoted).
 */
export function decodeUntrusted(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '(null)' || raw === '?' || raw === '') return undefined;
  const first = raw.charCodeAt(0);
  if (first === CH_DQUOTE || first === CH_SQUOTE) return detach(latin1ToUtf8(unquote(raw)));
  const bytes = hexToBytes(raw);
  if (bytes !== undefined) return bytes.toString('utf8');
  return detach(latin1ToUtf8(raw));
}

/** Decimal field (`pid=123`, `uid="0"`); undefined when absent or not a number. */
export function decimalField(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const text = unquote(raw);
  if (text.length === 0) return undefined;
  const value = Number(text);
  return Number.isInteger(value) ? value : undefined;
}

/** Hex field without 0x (`a0=1200011`, `arch=c000003e`); undefined when not hex. */
export function hexField(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const text = unquote(raw);
  if (text.length === 0 || text.length > 16) return undefined;
  for (let i = 0; i < text.length; i++) if (hexValue(text.charCodeAt(i)) < 0) return undefined;
  // Up to 64-bit values: parseInt loses precision above 2^53, which only matters for
  // pointers we never use; flags and small arguments are exact.
  return parseInt(text, 16);
}
