/** auditd log text -> ProcEvents. See auditd-adapter.ts for the API ingest uses. */
export {
  createAuditdAdapter,
  MAX_RECORD_CHARS,
  type AuditdAdapter,
  type AuditdAdapterOptions,
  type AuditdAdapterStats,
} from './auditd-adapter.js';
export type { AuditRecord, RecordError } from './audit-record.js';
export { parseRecord, isRecordError } from './parse-record.js';
export { Reassembler, DEFAULT_REASSEMBLY_LIMITS, type AssembledEvent, type ReassemblyLimits } from './reassemble.js';
export { classifySyscall } from './syscall-table.js';
