import { isRecordError, parseRecord } from '../../adapters/auditd/parse-record.js';
import { Reassembler, type AssembledEvent } from '../../adapters/auditd/reassemble.js';
import type { IngestWarning } from '../events/event-sink.js';
import { createLineSplitter } from '../sources/line-splitter.js';
import { openInputs } from '../sources/open-inputs.js';

/** What reading the inputs met besides events: counted, never fatal. */
export interface AuditEventStreamStats {
  lines: number;
  records: number;
  events: number;
  /** Damaged or foreign lines (malformed-line, truncated-record, oversized-line, ...): each one told to onWarning. */
  skippedLines: number;
  /** Records that arrived after their event had been emitted (beyond every reassembly limit). */
  lateRecords: number;
}

export interface AuditEventStreamOptions {
  /** Where the first input starts (explain re-reads from a stored offset); plain files seek. */
  startOffset?: number;
  /** Each damaged line, with its position (counted and skipped, never fatal). */
  onWarning?: (warning: IngestWarning) => void;
}

/**
 * Every audit event of the inputs, of any record type: lines -> records (all fields) ->
 * events grouped by host + audit id (the ingest's reassembler, so the grouping is the
 * one the history was built from). Streaming: the events completed by one chunk of input
 * are yielded before the next chunk is read, so memory is the reassembler's bound plus a
 * chunk's worth of events.
 */
export async function* auditEvents(specs: readonly string[], stats: AuditEventStreamStats, options: AuditEventStreamOptions = {}): AsyncGenerator<AssembledEvent> {
  let ready: AssembledEvent[] = [];
  const reassembler = new Reassembler({
    onEvent: (event) => {
      stats.events++;
      ready.push(event);
    },
    onLateRecord: () => {
      stats.lateRecords++;
    },
  });
  const skip = (warning: IngestWarning): void => {
    stats.skippedLines++;
    options.onWarning?.(warning);
  };
  const take = (): AssembledEvent[] => {
    const out = ready;
    ready = [];
    return out;
  };
  let first = true;
  for (const spec of specs) {
    const startOffset = first ? options.startOffset : undefined;
    first = false;
    for await (const input of openInputs(spec, startOffset !== undefined ? { startOffset } : {})) {
      const splitter = createLineSplitter({
        file: input.name,
        startOffset: input.startOffset,
        ...(input.startOffset === 0 ? { startLine: 1 } : {}),
        onLine: (text, offset, line) => {
          stats.lines++;
          if (text.length === 0 || text.charCodeAt(0) === 35 /* # comment */) return;
          const record = parseRecord(text);
          if (isRecordError(record)) {
            skip({ reason: record.error, detail: record.detail, position: line === undefined ? { file: input.name, offset } : { file: input.name, offset, line } });
            return;
          }
          stats.records++;
          reassembler.push(record, line === undefined ? { file: input.name, offset } : { file: input.name, offset, line });
        },
        onSkip: skip,
      });
      for await (const chunk of input.chunks) {
        splitter.push(chunk);
        if (ready.length > 0) yield* take();
      }
      splitter.end();
      if (ready.length > 0) yield* take();
    }
  }
  reassembler.finish();
  yield* take();
}

export function newAuditEventStreamStats(): AuditEventStreamStats {
  return { lines: 0, records: 0, events: 0, skippedLines: 0, lateRecords: 0 };
}
