// Public library API. Each stage's owner adds its exports here.
export type * from './events/proc-event.js';
export type * from './events/event-sink.js';
export { formatTimeNs } from './time/format-time.js';
export { parseTimeNs } from './time/parse-time.js';
// Core library (crate parity): the process tree and the `proc` module.
export * from './tree/index.js';
export * as proc from './proc/index.js';
export { parseProcEntry, readProcStartTimeNs } from './proc/index.js';
export * as history from './history/index.js';
export { runIngest, type IngestOptions } from './ingest/run-ingest.js';
export type { IngestSummary } from './ingest/ingest-summary.js';
// Inputs and the auditd adapter (source -> adapter -> ProcEvent).
export * as sources from './sources/index.js';
export { createAuditdAdapter, type AuditdAdapter, type AuditdAdapterOptions, type AuditdAdapterStats } from '../adapters/auditd/index.js';
