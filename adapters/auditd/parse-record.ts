import type { AuditFields, AuditRecord, RecordError } from './audit-record.js';

/**
 * Stage 1 of the auditd adapter: one line in, one record (or a typed error) out. Pure.
 *
 * Line shape (auditd `log_format=RAW` and `ENRICHED`):
 *   [node=HOST ]type=TYPE msg=audit(SEC.MS:SERIAL):[ ]key=value key="value" ...[\x1d KEY=value ...]
 *
 * Speed matters (target >= 1e6 lines/s for the whole adapter), so the header is read with
 * startsWith/indexOf and digit arithmetic, and the field list is only split for record
 * types the caller wants: most lines of a busy log (PATH, USER_*, AVC, ...) stop after the
 * header, which we still need for serial-gap (loss) detection.
 */

const NODE_PREFIX = 'node=';
const TYPE_PREFIX = 'type=';
const MSG_PREFIX = 'msg=audit(';
const UNKNOWN_TYPE_PREFIX = 'UNKNOWN[';
const CH_SPACE = 32;
const CH_TAB = 9;
/** auditd ENRICHED: ASCII GS between raw and interpreted fields. `\s` and trim() miss it. */
const CH_GROUP_SEPARATOR = 0x1d;
const CH_EQUALS = 61;
const CH_DQUOTE = 34;
const CH_SQUOTE = 39;
const CH_LBRACE = 123;
const CH_0 = 48;
const CH_9 = 57;
const CH_DOT = 46;
const CH_COLON = 58;
const CH_RPAREN = 41;

/** How much of a damaged line to quote in a warning. */
const DETAIL_CHARS = 80;

function fail(error: RecordError['error'], what: string, line: string): RecordError {
  const excerpt = line.length > DETAIL_CHARS ? `${line.slice(0, DETAIL_CHARS)}...` : line;
  return { error, detail: `${what}: ${JSON.stringify(excerpt)}` };
}

export function isRecordError(value: AuditRecord | RecordError): value is RecordError {
  return (value as RecordError).error !== undefined;
}

/**
 * Header of one line, written into a caller-owned object so a line of a skipped type costs
 * no allocation at all (most lines of a busy log). Offsets index into the line.
 */
export class HeaderScan {
  nodeStart = -1;
  nodeEnd = -1;
  typeStart = 0;
  typeEnd = 0;
  sec = 0;
  ms = 0;
  serial = 0;
  idStart = 0;
  idEnd = 0;
  bodyStart = 0;
  /** Set when scanHeader returns an error. */
  detail = '';
}

/** Reads the header into `out`; returns an error reason (and sets out.detail) for damaged lines. */
export function scanHeader(line: string, out: HeaderScan): RecordError['error'] | undefined {
  let i = 0;
  out.nodeStart = -1;
  if (line.startsWith(NODE_PREFIX)) {
    const end = line.indexOf(' ', NODE_PREFIX.length);
    if (end < 0) return failScan(out, 'malformed-line', 'node= prefix without a record', line);
    out.nodeStart = NODE_PREFIX.length;
    out.nodeEnd = end;
    i = end + 1;
  }
  if (!line.startsWith(TYPE_PREFIX, i)) return failScan(out, 'malformed-line', 'not an audit record (no type=)', line);
  const typeStart = i + TYPE_PREFIX.length;
  const typeEnd = line.indexOf(' ', typeStart);
  if (typeEnd < 0) return failScan(out, 'truncated-record', 'record ends after its type', line);
  out.typeStart = typeStart;
  out.typeEnd = typeEnd;
  if (line.startsWith(UNKNOWN_TYPE_PREFIX, typeStart)) {
    return failScan(out, 'unknown-record-type', `record type ${line.slice(typeStart, typeEnd)} unknown to the auditd that wrote it`, line);
  }
  i = typeEnd + 1;
  while (line.charCodeAt(i) === CH_SPACE) i++;
  if (!line.startsWith(MSG_PREFIX, i)) return failScan(out, 'missing-timestamp', `${line.slice(typeStart, typeEnd)} record without msg=audit(...)`, line);
  const idStart = i + MSG_PREFIX.length;
  i = idStart;

  let sec = 0;
  let c = line.charCodeAt(i);
  const secStart = i;
  while (c >= CH_0 && c <= CH_9) {
    sec = sec * 10 + (c - CH_0);
    c = line.charCodeAt(++i);
  }
  if (i === secStart || c !== CH_DOT) return failScan(out, 'missing-timestamp', 'bad msg=audit(SEC.MS:SERIAL) header', line);
  // Hundreds of digits (a damaged line) would make Infinity, and BigInt(Infinity) throws.
  if (sec > Number.MAX_SAFE_INTEGER) return failScan(out, 'missing-timestamp', 'audit timestamp out of range', line);
  c = line.charCodeAt(++i);
  const msStart = i;
  let ms = 0;
  while (c >= CH_0 && c <= CH_9) {
    ms = ms * 10 + (c - CH_0);
    c = line.charCodeAt(++i);
  }
  const msDigits = i - msStart;
  if (msDigits === 0 || c !== CH_COLON) return failScan(out, 'missing-timestamp', 'bad msg=audit(SEC.MS:SERIAL) header', line);
  // auditd always writes 3 digits; scale anything else so `.5` means 500 ms.
  if (msDigits !== 3) ms = msDigits < 3 ? ms * 10 ** (3 - msDigits) : Math.floor(ms / 10 ** (msDigits - 3));
  c = line.charCodeAt(++i);
  const serialStart = i;
  let serial = 0;
  while (c >= CH_0 && c <= CH_9) {
    serial = serial * 10 + (c - CH_0);
    c = line.charCodeAt(++i);
  }
  if (i === serialStart || c !== CH_RPAREN) return failScan(out, 'missing-timestamp', 'bad msg=audit(SEC.MS:SERIAL) header', line);
  if (serial > 0xffffffff) return failScan(out, 'missing-timestamp', 'audit serial above 2^32', line);
  out.sec = sec;
  out.ms = ms;
  out.serial = serial;
  out.idStart = idStart;
  out.idEnd = i;
  i++;
  // `msg=audit(...):` normally, but DAEMON_CONFIG and some legacy lines omit the colon.
  if (line.charCodeAt(i) === CH_COLON) i++;
  out.bodyStart = i;
  return undefined;
}

function failScan(out: HeaderScan, error: RecordError['error'], what: string, line: string): RecordError['error'] {
  out.detail = fail(error, what, line).detail;
  return error;
}

/**
 * The record for a scanned line; `wanted` = split its fields on demand. `node` may be
 * passed when the caller already has it (a cached string: see auditd-adapter.ts).
 */
export function recordFromScan(line: string, scan: HeaderScan, wanted: boolean, node?: string, type?: string): AuditRecord {
  return new LazyRecord(
    scan.nodeStart < 0 ? undefined : (node ?? line.slice(scan.nodeStart, scan.nodeEnd)),
    type ?? line.slice(scan.typeStart, scan.typeEnd),
    scan.sec,
    scan.ms,
    scan.serial,
    scan.idStart,
    scan.idEnd,
    line,
    wanted ? scan.bodyStart : -1,
  );
}

const sharedScan = new HeaderScan();

/**
 * Parses one line. `wantFields(type)` decides whether the field list will be split (on
 * first access of `fields`); when it says no, `fields` is undefined. Never throws.
 */
export function parseRecord(
  line: string,
  wantFields: (type: string) => boolean = () => true,
): AuditRecord | RecordError {
  const error = scanHeader(line, sharedScan);
  if (error !== undefined) return { error, detail: sharedScan.detail };
  return recordFromScan(line, sharedScan, wantFields(line.slice(sharedScan.typeStart, sharedScan.typeEnd)));
}

/** An AuditRecord whose fields are split on first access (see AuditRecord.fields). */
class LazyRecord implements AuditRecord {
  private split: AuditFields | undefined | null = null;

  constructor(
    readonly node: string | undefined,
    readonly type: string,
    readonly sec: number,
    readonly ms: number,
    readonly serial: number,
    private readonly idStart: number,
    private readonly idEnd: number,
    readonly line: string,
    /** Where the fields start; -1 when the type is not wanted. */
    readonly bodyStart: number,
  ) {}

  /** Sliced on demand: only an event's first record needs it. */
  get id(): string {
    return this.line.slice(this.idStart, this.idEnd);
  }

  get hasFields(): boolean {
    return this.bodyStart >= 0;
  }

  get fields(): AuditFields | undefined {
    if (this.split === null) {
      this.split = this.bodyStart < 0 ? undefined : parseFields(this.line, this.bodyStart);
    }
    return this.split;
  }
}

/**
 * The raw token of one field without splitting the record, e.g. `proctitle` of a
 * PROCTITLE record or `cwd` of a CWD record (single-field records we read for every
 * event). Undefined when absent or when its quoted value is not closed.
 */
export function singleField(record: AuditRecord, key: string): string | undefined {
  const line = record.line;
  let at = record.bodyStart;
  if (at < 0) return undefined;
  while (line.charCodeAt(at) === CH_SPACE) at++;
  if (!(line.startsWith(key, at) && line.charCodeAt(at + key.length) === CH_EQUALS)) {
    return record.fields?.[key];
  }
  const start = at + key.length + 1;
  const c = line.charCodeAt(start);
  if (c === CH_DQUOTE) {
    const close = line.indexOf('"', start + 1);
    return close < 0 ? undefined : line.slice(start, close + 1);
  }
  let end = line.indexOf(' ', start);
  if (end < 0) end = line.length;
  return line.slice(start, end);
}

/**
 * Whether a wanted record's fields split cleanly; `truncated-record` when a quoted value is
 * not closed (the line was cut off). Forces the lazy split.
 */
export function checkFields(record: AuditRecord): RecordError | undefined {
  if (record.hasFields && record.fields === undefined) {
    return { error: 'truncated-record', detail: `${record.type} record ${record.id} ends inside a quoted value` };
  }
  return undefined;
}

/**
 * Splits `key=value` tokens from `start` to the end of the line. Values keep their quotes.
 * Bare words without `=` (legacy `avc:  denied  { read }`, `old auid=`) are skipped.
 * Returns undefined when a quoted value is not closed (the line was cut off).
 */
export function parseFields(line: string, start: number): AuditFields | undefined {
  const fields: AuditFields = {};
  const n = line.length;
  let i = start;
  while (i < n) {
    let c = line.charCodeAt(i);
    if (c === CH_SPACE || c === CH_GROUP_SEPARATOR || c === CH_TAB) {
      i++;
      continue;
    }
    const keyStart = i;
    while (c !== CH_EQUALS && c !== CH_SPACE && c !== CH_GROUP_SEPARATOR && i < n) c = line.charCodeAt(++i);
    if (c !== CH_EQUALS) continue; // bare word: skip it
    const key = line.slice(keyStart, i);
    i++;
    const valueStart = i;
    c = line.charCodeAt(i);
    let valueEnd: number;
    if (c === CH_DQUOTE || c === CH_SQUOTE) {
      const close = line.indexOf(c === CH_DQUOTE ? '"' : "'", i + 1);
      if (close < 0) return undefined;
      valueEnd = close + 1;
    } else if (c === CH_LBRACE) {
      // ENRICHED SADDR={ fam=inet laddr=... }: one value with spaces inside.
      const close = line.indexOf('}', i + 1);
      valueEnd = close < 0 ? n : close + 1;
    } else {
      while (i < n && c !== CH_SPACE && c !== CH_GROUP_SEPARATOR) c = line.charCodeAt(++i);
      valueEnd = i;
    }
    if (fields[key] === undefined) fields[key] = line.slice(valueStart, valueEnd);
    i = valueEnd;
  }
  return fields;
}
