import type { AuditRecord } from './audit-record.js';

/**
 * The SYSCALL record fields the adapter uses, read straight from the line in one pass:
 * keys are recognised in place (no key strings), numbers are parsed from their digits
 * (no value strings), and only comm/exe/ENRICHED names are sliced. A SYSCALL line has
 * ~40 fields and is the most common record we read; splitting it into a generic
 * key -> value object cost more than everything else together (the adapter's speed
 * target is 1e6 lines/s).
 *
 * Semantics match AuditRecord.fields: first occurrence of a key wins, values may be quoted.
 */
export class SyscallFields {
  /** AUDIT_ARCH_* in lower-case hex, as printed (`c000003e`). */
  arch: string | undefined = undefined;
  syscall: number | undefined = undefined;
  /** `success=yes|no`; undefined when absent (exit_group, exit). */
  success: boolean | undefined = undefined;
  exit: number | undefined = undefined;
  /** Low 32 bits of a0 (clone flags, exit status): enough for every use here. */
  a0: number | undefined = undefined;
  ppid: number | undefined = undefined;
  pid: number | undefined = undefined;
  auid: number | undefined = undefined;
  uid: number | undefined = undefined;
  gid: number | undefined = undefined;
  euid: number | undefined = undefined;
  egid: number | undefined = undefined;
  /** Raw tokens (quoted text or hex): decode with decodeUntrusted. */
  comm: string | undefined = undefined;
  exe: string | undefined = undefined;
  /** ENRICHED: raw tokens of the resolved names and the syscall name. */
  UID: string | undefined = undefined;
  EUID: string | undefined = undefined;
  AUID: string | undefined = undefined;
  SYSCALL: string | undefined = undefined;
  /** A quoted value was not closed: the line was cut off. */
  truncated = false;
}

const CH_DQUOTE = 34;
const CH_SQUOTE = 39;
const CH_MINUS = 45;

/** Decimal (optionally negative, optionally quoted) in [start, end); undefined if not a number. */
function decimal(line: string, start: number, end: number): number | undefined {
  let i = start;
  if (line.charCodeAt(i) === CH_DQUOTE) {
    i++;
    end--;
  }
  let negative = false;
  if (line.charCodeAt(i) === CH_MINUS) {
    negative = true;
    i++;
  }
  if (i >= end) return undefined;
  let value = 0;
  for (; i < end; i++) {
    const d = line.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return undefined;
    value = value * 10 + d;
  }
  return negative ? -value : value;
}

/** Low 32 bits of a hex number in [start, end). */
function hexLow32(line: string, start: number, end: number): number | undefined {
  let i = start;
  if (line.charCodeAt(i) === CH_DQUOTE) {
    i++;
    end--;
  }
  if (i >= end) return undefined;
  let value = 0;
  for (let j = Math.max(i, end - 8); j < end; j++) {
    const c = line.charCodeAt(j);
    const d = c <= 57 ? c - 48 : (c | 0x20) - 87;
    if (d < 0 || d > 15) return undefined;
    value = value * 16 + d;
  }
  return value;
}

/** Raw SYSCALL keys we read, in the order the kernel prints them (audit_log_exit). */
const RAW_KEYS = [' arch=', ' syscall=', ' success=', ' exit=', ' a0=', ' ppid=', ' pid=', ' auid=', ' uid=', ' gid=', ' euid=', ' egid=', ' comm=', ' exe='] as const;
type RawKey = (typeof RAW_KEYS)[number];
/** ENRICHED keys after the GS byte (auditd's interpret order: ARCH SYSCALL AUID UID GID EUID ...). */
const ENRICHED_KEYS = ['SYSCALL=', ' AUID=', ' UID=', ' EUID='] as const;
type EnrichedKey = (typeof ENRICHED_KEYS)[number];

function tokenEnd(line: string, vStart: number, limit: number): number {
  const c = line.charCodeAt(vStart);
  if (c === CH_DQUOTE || c === CH_SQUOTE) {
    const close = line.indexOf(c === CH_DQUOTE ? '"' : "'", vStart + 1);
    return close < 0 ? -1 : close + 1;
  }
  let end = line.indexOf(' ', vStart);
  if (end < 0 || end > limit) end = limit;
  return end;
}

/**
 * Finds `key` (with its leading space) at or after `from`, before `limit`; falls back to a
 * search from `start` for producers that order fields differently. -1 when absent.
 */
function findKey(line: string, key: string, from: number, start: number, limit: number): number {
  let at = line.indexOf(key, from);
  if (at < 0 || at >= limit) {
    if (from === start) return -1;
    at = line.indexOf(key, start);
    if (at < 0 || at >= limit) return -1;
  }
  return at;
}

function setRaw(out: SyscallFields, key: RawKey, line: string, vStart: number, end: number): void {
  switch (key) {
    case ' arch=': out.arch = line.slice(vStart, end).replace(/"/g, '').toLowerCase(); break;
    case ' syscall=': out.syscall = decimal(line, vStart, end); break;
    case ' success=': out.success = line.startsWith('yes', line.charCodeAt(vStart) === CH_DQUOTE ? vStart + 1 : vStart); break;
    case ' exit=': out.exit = decimal(line, vStart, end); break;
    case ' a0=': out.a0 = hexLow32(line, vStart, end); break;
    case ' ppid=': out.ppid = decimal(line, vStart, end); break;
    case ' pid=': out.pid = decimal(line, vStart, end); break;
    case ' auid=': out.auid = decimal(line, vStart, end); break;
    case ' uid=': out.uid = decimal(line, vStart, end); break;
    case ' gid=': out.gid = decimal(line, vStart, end); break;
    case ' euid=': out.euid = decimal(line, vStart, end); break;
    case ' egid=': out.egid = decimal(line, vStart, end); break;
    case ' comm=': out.comm = line.slice(vStart, end); break;
    case ' exe=': out.exe = line.slice(vStart, end); break;
  }
}

function setEnriched(out: SyscallFields, key: EnrichedKey, line: string, vStart: number, end: number): void {
  switch (key) {
    case 'SYSCALL=': out.SYSCALL = line.slice(vStart, end).replace(/"/g, ''); break;
    case ' AUID=': out.AUID = line.slice(vStart, end); break;
    case ' UID=': out.UID = line.slice(vStart, end); break;
    case ' EUID=': out.EUID = line.slice(vStart, end); break;
  }
}

/**
 * Reads a SYSCALL record's fields; call only for records with hasFields.
 *
 * Each key is found with one native indexOf, continuing from the previous key in the
 * kernel's print order, so the line is scanned about once at memchr speed and only the
 * ~15 values we need are touched (a charCodeAt loop over all ~40 tokens was 3x slower).
 * Keys carry their leading space so ` pid=` never matches inside `ppid=`; the first key
 * found wins (laurel's record-ptrace.txt prints uid= twice). Values never contain a
 * space unquoted, and quoted values are skipped whole, so a key cannot be matched inside
 * a value before the place we search from.
 */
export function readSyscallFields(record: AuditRecord): SyscallFields {
  const line = record.line;
  const out = new SyscallFields();
  const n = line.length;
  const gs = line.indexOf('\x1d', record.bodyStart);
  const rawEnd = gs < 0 ? n : gs;
  // Start one before the body so the first field's key (` arch=`) has its space.
  const start = record.bodyStart - 1;
  let from = start;
  for (const key of RAW_KEYS) {
    const at = findKey(line, key, from, start, rawEnd);
    if (at < 0) continue;
    const vStart = at + key.length;
    const end = tokenEnd(line, vStart, rawEnd);
    if (end < 0) {
      out.truncated = true;
      return out;
    }
    setRaw(out, key, line, vStart, end);
    from = end;
  }
  if (gs >= 0) {
    from = gs;
    for (const key of ENRICHED_KEYS) {
      const at = findKey(line, key, from, gs, n);
      if (at < 0) continue;
      const vStart = at + key.length;
      const end = tokenEnd(line, vStart, n);
      if (end < 0) break;
      setEnriched(out, key, line, vStart, end);
      from = end;
    }
  }
  return out;
}

/**
 * Low 32 bits of argument a1..a3 of a SYSCALL record, read on demand: only the few
 * syscalls that need them (a kill's signal) pay for the search.
 */
export function syscallArgLow32(record: AuditRecord, index: 1 | 2 | 3): number | undefined {
  const line = record.line;
  const gs = line.indexOf('\x1d', record.bodyStart);
  const rawEnd = gs < 0 ? line.length : gs;
  const start = record.bodyStart - 1;
  const key = ` a${index}=`;
  const at = findKey(line, key, start, start, rawEnd);
  if (at < 0) return undefined;
  const vStart = at + key.length;
  const end = tokenEnd(line, vStart, rawEnd);
  return end < 0 ? undefined : hexLow32(line, vStart, end);
}
