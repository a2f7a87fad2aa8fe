import type { ProcEvent } from './proc-event.js';

/** Where in an input a record sits: enough to find the raw bytes again. */
export interface SourcePosition {
  /** Source path as given by the user, `-` for stdin, `netlink` for a live socket. */
  file: string;
  /** Byte offset of the record's first byte in the (decompressed) stream. */
  offset: number;
  /** 1-based line number, for line-oriented sources. */
  line?: number;
}

/**
 * A damaged or unusable record: counted and reported, never fatal. `reason` is a short
 * stable key (`truncated-line`, `unknown-record-type`, `oversized-line`, ...) so summaries
 * can count by it; `detail` is for people.
 */
export interface IngestWarning {
  reason: string;
  detail?: string;
  position?: SourcePosition;
}

/** Push-based consumer of an adapter's output. Synchronous on purpose: it is the hot path. */
export interface EventSink {
  onEvent(event: ProcEvent): void;
  onWarning(warning: IngestWarning): void;
}
