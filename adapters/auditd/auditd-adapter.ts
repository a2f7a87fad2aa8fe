import type { EventSink, IngestWarning, SourcePosition } from '../../src/events/event-sink.js';
import type { ProcEvent, ProcEventKind } from '../../src/events/proc-event.js';
import { HeaderScan, recordFromScan, scanHeader } from './parse-record.js';
import { usedTypeAt } from './record-types.js';
import { detach } from './decode-value.js';
import { DEFAULT_REASSEMBLY_LIMITS, Reassembler, type AssembledEvent, type ReassemblyLimits } from './reassemble.js';
import { LOSS_WINDOW_SERIALS, SerialGapTracker } from './serial-gaps.js';
import { toProcEvents } from './to-proc-events.js';
import { ExecveArgs } from './execve-argv.js';

/**
 * A real audit record is at most ~9 KB (kernel MAX_AUDIT_MESSAGE_LENGTH 8970) plus
 * ENRICHED names; anything this long is damage (or not an audit log) and is skipped.
 */
export const MAX_RECORD_CHARS = 1 << 20;

export interface AuditdAdapterOptions {
  /** Host for records without a `node=` prefix (`--host`); undefined = the default host. */
  host?: string;
  /** Reassembly bounds; the defaults suit real logs (see reassemble.ts). */
  limits?: Partial<ReassemblyLimits>;
  /** Serial-gap loss detection (default on). Turn off for logs filtered with grep & co. */
  detectLoss?: boolean;
}

export interface AuditdAdapterStats {
  /** Lines given to pushLine/skipLine, including blank and comment lines. */
  lines: number;
  /** Parsed audit records (any type). */
  records: number;
  /** Records of types the adapter does not need (PATH, USER_*, ...): not a problem. */
  ignoredRecords: number;
  /** Blank lines and `#` comment lines (test traces): not a problem. */
  blankOrComment: number;
  /** Audit events reassembled from SYSCALL/EXECVE/PROCTITLE/CWD records. */
  auditEvents: number;
  /** ProcEvents emitted, by kind. */
  events: Partial<Record<ProcEventKind, number>>;
  /** Damaged or unusable input, by reason (each also went to sink.onWarning). */
  skipped: Record<string, number>;
  /** Sum of `count` over emitted loss events. */
  lostEvents: number;
}

/**
 * auditd log text -> ProcEvents. Feed lines in file order (several files: oldest first, one
 * adapter for the whole sequence so events that straddle a rotation are joined).
 *
 * Usage (what `proc-tree ingest` does):
 *   const adapter = createAuditdAdapter(sink, { host });
 *   for each line: adapter.pushLine(text, { file, offset, line });
 *   adapter.finish();
 *
 * Events reach `sink.onEvent` synchronously from pushLine/finish, a little after their
 * records (an event is complete only once the log has moved on, see reassemble.ts).
 */
export interface AuditdAdapter {
  /**
   * One line without its newline. `position.offset` is the byte offset of the line's first
   * byte in the (decompressed) input. Damaged lines become sink.onWarning calls, never throws.
   */
  pushLine(line: string, position: SourcePosition): void;
  /**
   * A line the reader could not hand over (e.g. `oversized-line` from the line splitter):
   * counted under `warning.reason` and passed to sink.onWarning.
   */
  skipLine(warning: IngestWarning): void;
  /** End of input: emits every open event and resolves pending serial gaps. */
  finish(): void;
  /**
   * Emits the open events now, without ending the input: for a followed log that has been
   * idle for a second or more, where no later record will come to complete them. With
   * `holdUnfinished`, an event that looks cut short stays open (see looksUnfinished) for
   * the rest of its records; returns how many events stay open.
   */
  flushPending(options?: { holdUnfinished?: boolean }): number;
  stats(): AuditdAdapterStats;
  /**
   * Position of the earliest line whose event has not been emitted yet; undefined when
   * nothing is pending. To resume a killed ingest, store this (or the end position when
   * undefined) together with the events committed so far and restart reading there.
   * Emission is in order of first-record position, so every event emitted before the
   * checkpoint started before it; a restarted reader may still re-emit an event whose
   * records straddle the checkpoint (interleaving): deduplicate on host + evidence.id.
   */
  oldestPendingPosition(): SourcePosition | undefined;
}

const CH_HASH = 35;

/**
 * A syscall event whose PROCTITLE has not come yet: the kernel writes it last, after the
 * SYSCALL, EXECVE, CWD, PATH and OBJ_PID records of the event (audit_log_exit; all 74,633
 * syscall events of a real 84 MB log, real-enriched-200 audit.log.1, end with it). Emitted
 * now, an exec cut after its SYSCALL or between its EXECVE records would be stored with
 * no or part of its argv and no cwd, for good: the records that come later are late.
 * Only for a log that has PROCTITLE records at all (old kernels write none).
 */
const holdNone = (): boolean => false;

function looksUnfinished(event: AssembledEvent): boolean {
  let syscall = false;
  for (const r of event.records) {
    if (r.type === 'PROCTITLE') return false;
    if (r.type === 'SYSCALL') syscall = true;
  }
  return syscall;
}

export function createAuditdAdapter(sink: EventSink, options: AuditdAdapterOptions = {}): AuditdAdapter {
  const stats: AuditdAdapterStats = {
    lines: 0,
    records: 0,
    ignoredRecords: 0,
    blankOrComment: 0,
    auditEvents: 0,
    events: {},
    skipped: {},
    lostEvents: 0,
  };
  const defaultHost = options.host;

  const warn = (reason: string, detail: string | undefined, position: SourcePosition | undefined): void => {
    stats.skipped[reason] = (stats.skipped[reason] ?? 0) + 1;
    const warning: IngestWarning = { reason };
    if (detail !== undefined) warning.detail = detail;
    if (position !== undefined) warning.position = position;
    sink.onWarning(warning);
  };

  const emit = (event: ProcEvent): void => {
    stats.events[event.kind] = (stats.events[event.kind] ?? 0) + 1;
    sink.onEvent(event);
  };

  const convertContext = {
    defaultHost,
    execve: new ExecveArgs(),
    emit,
    unusable: (reason: string, detail: string, position: SourcePosition) => warn(reason, detail, position),
  };

  const reassembler = new Reassembler(
    {
      onEvent(event) {
        stats.auditEvents++;
        toProcEvents(event, convertContext);
        // Drop this event's arguments now: held by the long-lived reader until the next
        // exec, their slices would keep 32 KiB pieces of the log alive into the old generation.
        convertContext.execve.reset();
      },
      onLateRecord(record, position, afterQuiet) {
        const when = afterQuiet ? 'the input had gone quiet and the event was stored without it' : 'the event was complete';
        warn('late-record', `${record.type} record of event ${record.id} arrived after ${when}`, position);
      },
    },
    { ...DEFAULT_REASSEMBLY_LIMITS, ...options.limits },
  );

  const gaps =
    options.detectLoss === false
      ? undefined
      : new SerialGapTracker(
          {
            onLoss(node, count, after) {
              stats.lostEvents += count;
              emit({
                kind: 'loss',
                timestampNs: BigInt(after.sec) * 1_000_000_000n + BigInt(after.ms) * 1_000_000n,
                host: node ?? defaultHost,
                evidence: { file: after.position.file, offset: after.position.offset, line: after.position.line, id: after.id },
                count,
                reason: `audit serial gap: ${count} event(s) before ${after.id} missing from the log`,
              });
            },
            onReset(node, at, expected) {
              warn(
                'serial-reset',
                `audit serial jumped back from ${expected} to ${at.id}${node === undefined ? '' : ` on ${node}`} (reboot or another log): loss detection restarted`,
                at.position,
              );
            },
          },
          LOSS_WINDOW_SERIALS,
        );

  const scan = new HeaderScan();
  let lastNode: string | undefined;
  /** A PROCTITLE record was read: this log's syscall events end with one. */
  let proctitles = false;
  const unfinished = (event: AssembledEvent): boolean => proctitles && looksUnfinished(event);

  return {
    pushLine(line, position) {
      stats.lines++;
      if (line.length === 0 || line.charCodeAt(0) === CH_HASH) {
        stats.blankOrComment++;
        return;
      }
      if (line.length > MAX_RECORD_CHARS) {
        warn('oversized-line', `line of ${line.length} bytes is longer than any audit record`, position);
        return;
      }
      const error = scanHeader(line, scan);
      if (error !== undefined) {
        // A whitespace-only line (stray CR or spaces) is blank, not damage.
        if (error === 'malformed-line' && line.trim().length === 0) {
          stats.blankOrComment++;
          return;
        }
        warn(error, scan.detail, position);
        return;
      }
      stats.records++;
      const used = usedTypeAt(line, scan.typeStart, scan.typeEnd);
      let node: string | undefined;
      if (scan.nodeStart >= 0) {
        // One string per host, reused: no slice per line, and Map lookups hit a cached hash.
        const length = scan.nodeEnd - scan.nodeStart;
        if (lastNode === undefined || lastNode.length !== length || !line.startsWith(lastNode, scan.nodeStart)) {
          lastNode = detach(line.slice(scan.nodeStart, scan.nodeEnd));
        }
        node = lastNode;
      }
      if (gaps !== undefined && !line.startsWith('DAEMON_', scan.typeStart)) {
        // auditd's own DAEMON_* records carry auditd's counter, not the kernel's.
        gaps.see(node, scan.serial, line, scan, position);
      }
      if (used === undefined) {
        stats.ignoredRecords++;
        return;
      }
      if (used === 'PROCTITLE') proctitles = true;
      reassembler.push(recordFromScan(line, scan, true, node, used), position);
    },
    skipLine(warning) {
      stats.lines++;
      warn(warning.reason, warning.detail, warning.position);
    },
    finish() {
      reassembler.finish();
      gaps?.finish();
    },
    flushPending(options) {
      return reassembler.flushOpen(options?.holdUnfinished === true ? unfinished : holdNone);
    },
    stats() {
      return { ...stats, events: { ...stats.events }, skipped: { ...stats.skipped } };
    },
    oldestPendingPosition() {
      return reassembler.oldestPendingPosition();
    },
  };
}
