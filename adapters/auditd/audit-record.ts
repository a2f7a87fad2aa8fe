/**
 * One parsed audit.log line. Field values are kept as the raw token from the log (quotes
 * included) because auditd's encoding is field-specific: `comm="bash"` is literal text while
 * `comm=62617368` is hex of the same name, and only the quotes tell them apart. Decode with
 * the helpers in decode-value.ts at the point of use.
 */
export interface AuditRecord {
  /** `node=` prefix of aggregated / multi-host logs; undefined when absent. */
  node: string | undefined;
  /** Record type name as written: `SYSCALL`, `EXECVE`, `UNKNOWN[1420]`, ... */
  type: string;
  /** Seconds part of `msg=audit(SEC.MS:SERIAL)`. */
  sec: number;
  /** Milliseconds part (0..999). */
  ms: number;
  /** Kernel event serial (u32, wraps at 2^32). */
  serial: number;
  /** `SEC.MS:SERIAL` exactly as in the log, e.g. `1697091526.357:2638035`. */
  id: string;
  /**
   * Raw field tokens by key, first occurrence wins (some kernels print a key twice, e.g.
   * `uid=0 uid=0` in laurel's record-ptrace.txt where the second one is really gid).
   * ENRICHED fields after the 0x1d separator are included under their upper-case keys
   * (`UID`, `AUID`, `SYSCALL`, `ARCH`). Undefined when the record type was skipped
   * before field splitting, or when the line was cut inside a quoted value.
   *
   * Split lazily, on first access: a record waits in the reassembler for a while, and
   * keeping one string per record instead of ~40 field strings until then keeps those
   * objects out of the old generation (GC was a third of the adapter's time otherwise).
   */
  readonly fields: AuditFields | undefined;
  /** False when the type was not wanted: `fields` is never split. */
  readonly hasFields: boolean;
  /** The whole line, for fast single-purpose readers (syscall-fields.ts). */
  readonly line: string;
  /** Index in `line` where the fields start; -1 when the type was not wanted. */
  readonly bodyStart: number;
}

export type AuditFields = Record<string, string>;

/** Why a line could not be used. Stable keys: summaries count by them. */
export type RecordErrorReason =
  | 'malformed-line'
  | 'missing-timestamp'
  | 'unknown-record-type'
  | 'truncated-record';

/** A line that is not a usable audit record; never thrown, returned. */
export interface RecordError {
  error: RecordErrorReason;
  detail: string;
}
