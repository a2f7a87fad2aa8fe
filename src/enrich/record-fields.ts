import type { AuditRecord } from '../../adapters/auditd/audit-record.js';
import { decodeUntrusted, latin1ToUtf8, unquote } from '../../adapters/auditd/decode-value.js';
import { argvFromProctitle } from '../../adapters/auditd/execve-argv.js';
import { parseFields } from '../../adapters/auditd/parse-record.js';

/** One record of an event as JSON: its type and its fields, decoded. */
export interface RecordFields {
  type: string;
  fields: Record<string, string>;
}

/**
 * Fields the kernel logs as "untrusted strings": quoted text, or hex of the raw bytes
 * when they hold a space, a quote, a control or a non-ASCII byte (audit_log_untrustedstring).
 * Their hex form is decoded here; every other value is only unquoted (a hex `a0=` of a
 * SYSCALL is a number, not text).
 */
const UNTRUSTED_KEYS: ReadonlySet<string> = new Set(['comm', 'exe', 'cwd', 'name', 'cmd', 'acct', 'path', 'ocomm', 'proctitle', 'data', 'key']);

/**
 * The fields of `record`, decoded. EXECVE arguments (`a0`, `a1`, ...) are decoded like
 * untrusted strings; PROCTITLE gives `proctitle` as the command line (NULs as spaces).
 * A user-space record's `msg='op=... acct="root" res=success'` is opened: its inner fields
 * join the record's own (the outer ones win on a clash), because that is where USER_LOGIN,
 * USER_AUTH and friends say who, from where and with what result.
 */
export function recordFields(record: AuditRecord): RecordFields {
  const out: Record<string, string> = {};
  const fields = record.fields;
  if (fields === undefined) return { type: record.type, fields: out };
  const execve = record.type === 'EXECVE';
  // Object.keys, not Object.entries: no [key, value] pair per field of every record (GC).
  for (const key of Object.keys(fields)) {
    const raw = fields[key]!;
    if (key === 'msg' && raw.startsWith("'")) continue;
    out[key] = valueOf(key, raw, execve);
  }
  const msg = fields.msg;
  if (msg !== undefined && msg.startsWith("'")) {
    const inner = parseFields(unquote(msg), 0);
    if (inner !== undefined) for (const key of Object.keys(inner)) if (out[key] === undefined) out[key] = valueOf(key, inner[key]!, false);
  }
  if (record.type === 'PROCTITLE' && fields.proctitle !== undefined) {
    const argv = argvFromProctitle(fields.proctitle);
    if (argv !== undefined) out.proctitle = argv.argv.join(' ');
  }
  return { type: record.type, fields: out };
}

function valueOf(key: string, raw: string, execveArg: boolean): string {
  if (UNTRUSTED_KEYS.has(key) || (execveArg && /^a\d+(\[\d+\])?$/.test(key))) return decodeUntrusted(raw) ?? unquote(raw);
  return latin1ToUtf8(unquote(raw));
}
