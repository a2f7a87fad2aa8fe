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
  /** Low 32 bits of a0/a1 (clone flags, exit status): enough for every use here. */
  a0: number | undefined = undefined;
  a1: number | undefined = undefined;
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

const CH_SPACE = 32;
const CH_TAB = 9;
const CH_GS = 0x1d;
const CH_EQUALS = 61;
const CH_DQUOTE = 34;
const CH_SQUOTE = 39;
const CH_MINUS = 45;

function valueEnd(line: string, start: number, n: number): number {
  const c = line.charCodeAt(start);
  if (c === CH_DQUOTE || c === CH_SQUOTE) {
    const close = line.indexOf(c === CH_DQUOTE ? '"' : "'", start + 1);
    return close < 0 ? -1 : close + 1;
  }
  let i = start;
  while (i < n) {
    const d = line.charCodeAt(i);
    if (d === CH_SPACE || d === CH_GS) break;
    i++;
  }
  return i;
}

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

/** Reads a SYSCALL record's fields; call only for records with hasFields. */
export function readSyscallFields(record: AuditRecord): SyscallFields {
  const line = record.line;
  const out = new SyscallFields();
  const n = line.length;
  let i = record.bodyStart;
  while (i < n) {
    let c = line.charCodeAt(i);
    if (c === CH_SPACE || c === CH_GS || c === CH_TAB) {
      i++;
      continue;
    }
    const keyStart = i;
    while (i < n && c !== CH_EQUALS && c !== CH_SPACE && c !== CH_GS) c = line.charCodeAt(++i);
    if (c !== CH_EQUALS) continue;
    const keyLength = i - keyStart;
    const vStart = i + 1;
    const vEnd = valueEnd(line, vStart, n);
    if (vEnd < 0) {
      out.truncated = true;
      return out;
    }
    i = vEnd;
    switch (line.charCodeAt(keyStart)) {
      case 97: // a
        if (keyLength === 2) {
          const second = line.charCodeAt(keyStart + 1);
          if (second === 48) out.a0 ??= hexLow32(line, vStart, vEnd);
          else if (second === 49) out.a1 ??= hexLow32(line, vStart, vEnd);
        } else if (keyLength === 4) {
          if (out.arch === undefined && line.startsWith('arch', keyStart)) out.arch = line.slice(vStart, vEnd).replace(/"/g, '').toLowerCase();
          else if (line.startsWith('auid', keyStart)) out.auid ??= decimal(line, vStart, vEnd);
        }
        break;
      case 101: // e
        if (keyLength === 4) {
          if (line.startsWith('exit', keyStart)) out.exit ??= decimal(line, vStart, vEnd);
          else if (line.startsWith('euid', keyStart)) out.euid ??= decimal(line, vStart, vEnd);
          else if (line.startsWith('egid', keyStart)) out.egid ??= decimal(line, vStart, vEnd);
        } else if (keyLength === 3 && line.startsWith('exe', keyStart)) out.exe ??= line.slice(vStart, vEnd);
        break;
      case 112: // p
        if (keyLength === 3 && line.startsWith('pid', keyStart)) out.pid ??= decimal(line, vStart, vEnd);
        else if (keyLength === 4 && line.startsWith('ppid', keyStart)) out.ppid ??= decimal(line, vStart, vEnd);
        break;
      case 115: // s
        if (keyLength === 7) {
          if (line.startsWith('syscall', keyStart)) out.syscall ??= decimal(line, vStart, vEnd);
          else if (line.startsWith('success', keyStart) && out.success === undefined) {
            const q = line.charCodeAt(vStart) === CH_DQUOTE ? 1 : 0;
            out.success = line.startsWith('yes', vStart + q);
          }
        }
        break;
      case 117: // u
        if (keyLength === 3 && line.startsWith('uid', keyStart)) out.uid ??= decimal(line, vStart, vEnd);
        break;
      case 103: // g
        if (keyLength === 3 && line.startsWith('gid', keyStart)) out.gid ??= decimal(line, vStart, vEnd);
        break;
      case 99: // c
        if (keyLength === 4 && line.startsWith('comm', keyStart)) out.comm ??= line.slice(vStart, vEnd);
        break;
      case 85: // U
        if (keyLength === 3 && line.startsWith('UID', keyStart)) out.UID ??= line.slice(vStart, vEnd);
        break;
      case 69: // E
        if (keyLength === 4 && line.startsWith('EUID', keyStart)) out.EUID ??= line.slice(vStart, vEnd);
        break;
      case 65: // A
        if (keyLength === 4 && line.startsWith('AUID', keyStart)) out.AUID ??= line.slice(vStart, vEnd);
        break;
      case 83: // S
        if (keyLength === 7 && line.startsWith('SYSCALL', keyStart)) out.SYSCALL ??= line.slice(vStart, vEnd).replace(/"/g, '');
        break;
      default:
        break;
    }
  }
  return out;
}
