import type { HistoryBuilderStats } from '../history/history-builder.js';
import type { SourcePosition } from '../events/event-sink.js';
import type { FilteredLogHint } from './loss-hint.js';
import { formatSkipped } from './skipped-records.js';

export type InputStatus = 'read' | 'resumed' | 'already-ingested' | 'skipped';

export interface InputReport {
  path: string;
  format: string;
  status: InputStatus;
  /** Byte offset (decompressed) where reading started. */
  fromOffset: number;
  bytes: number;
  lines: number;
  note?: string;
  /**
   * Why some or all of it could not be read (damaged compressed file, no permission, ...):
   * what came before is ingested, the rest is not. Makes the run partial (exit status 3).
   */
  unread?: string;
  /**
   * Why it was not ingested at all although readable: it does not continue the source its
   * head matched, or it repeats another source's records (open-auditd-source.ts). Makes the
   * run partial (exit status 3).
   */
  refused?: string;
  /**
   * SHA-256 of its content from byte 0 to `sha256Bytes` (decompressed for .gz and zip
   * entries): what was ingested from it, as its source row records it.
   */
  sha256?: string;
  sha256Bytes?: number;
  /** Set when read from its start: whether it held any audit record / connector datagram. */
  hasRecords?: boolean;
}

export interface IngestSummary {
  inputs: InputReport[];
  lines: number;
  bytes: number;
  /** Events the adapters produced, by kind. */
  events: Record<string, number>;
  /** Damaged or unusable records skipped, by reason. */
  skipped: Record<string, number>;
  /** Where the first few of each reason were (file + byte offset, and line for logs). */
  skippedAt?: Record<string, SourcePosition[]>;
  /** Events re-read after a resume and already in the database. */
  alreadyStored: number;
  builder: HistoryBuilderStats;
  commits: number;
  durationMs: number;
  /** Set when the serial gaps look like a filtered or edited log rather than lost events. */
  filteredLogHint?: FilteredLogHint;
  /**
   * Set when SIGINT or SIGTERM stopped the run: everything up to `offset` of `path` (where
   * the next run of the same command continues) is committed; `size` is the file's size
   * when its bytes are the log's (not compressed).
   */
  stopped?: { signal: string; path: string; offset: number; size?: number };
}

/** The line a stopped run ends with (ingest-outcome.ts). */
export function stoppedLine(s: NonNullable<IngestSummary['stopped']>): string {
  const of = s.size === undefined ? `${s.offset} bytes` : `${s.offset} of ${s.size} bytes`;
  return `stopped by ${s.signal}: read ${of} of ${s.path}; run the same command again to continue`;
}

/** The ingest summary for people (stderr). */
export function formatSummary(s: IngestSummary): string {
  const seconds = s.durationMs / 1000;
  const lines: string[] = [];
  for (const i of s.inputs) {
    const from = i.fromOffset > 0 ? ` from byte ${i.fromOffset}` : '';
    lines.push(`  ${i.path} [${i.format}] ${i.status}${from}: ${i.bytes} bytes, ${i.lines} lines${i.note ? ` (${i.note})` : ''}`);
  }
  // After the inputs, one line each: what was ingested from each, as its source row keeps it.
  const hashed = s.inputs.filter((i) => i.sha256 !== undefined);
  if (hashed.length > 0) lines.push('sha256 of what each holds as ingested:', ...hashed.map((i) => `  ${i.path} (bytes 0..${i.sha256Bytes}): ${i.sha256}`));
  const kinds = Object.entries(s.events)
    .sort()
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  const b = s.builder;
  const rate = seconds > 0 ? Math.round(s.lines / seconds) : s.lines;
  return [
    `ingested ${s.inputs.length} input(s):`,
    ...lines,
    `lines: ${s.lines}   bytes: ${s.bytes}`,
    `events: ${kinds || 'none'}${s.alreadyStored > 0 ? `   (already stored, skipped: ${s.alreadyStored})` : ''}`,
    `instances: ${b.instancesOpened} opened, ${b.instancesClosed} ended (${b.inferredEnds} inferred), reparents ${b.reparents}, unseen pid reuses ${b.unseenPidReuses}, late forks merged ${b.lateForksMerged}, clone3 children confirmed ${b.threadsConfirmed}, losses ${b.losses}`,
    // Only when it happened: forks inside pid namespaces return pids we must not trust.
    ...(b.namespacedCallers > 0
      ? [`pid namespaces: ${b.namespacedCallers} process(es) forking inside one (fork pids are namespace-local), ${b.namespaceChildrenMatched} children matched to their fork, ${b.namespaceForksWithdrawn} namespace-local pid(s) withdrawn`]
      : []),
    ...(s.filteredLogHint !== undefined ? [`note: ${s.filteredLogHint.message}`] : []),
    `skipped records: ${formatSkipped(s.skipped, s.skippedAt)}`,
    `time: ${seconds.toFixed(2)} s, ${rate} lines/s, ${s.commits} commit(s)`,
  ].join('\n');
}
