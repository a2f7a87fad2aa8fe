import type { SourcePosition } from '../../src/events/event-sink.js';
import type { AuditRecord } from './audit-record.js';
import { detach } from './decode-value.js';

/**
 * Stage 2 of the auditd adapter: groups records into events by host + `SEC.MS:SERIAL`.
 *
 * We cannot wait for EOE: auditd does not write it for every event (go-libaudit's *.log,
 * laurel's proc-trace-dpkg-l.txt have none) and a reordered log may hold it back
 * (laurel's shell-proc-trace-reordered.txt). Records of one event are written at syscall
 * exit, one after another on one CPU, so they only interleave with what other CPUs log
 * meanwhile. An event is therefore complete once the stream has moved on far enough
 * *since its last record arrived*: measured in serials and in log time (both taken as the
 * maximum seen so far, because an event's own serial and timestamp can be old: the serial
 * is taken by the first record of the syscall and the time at syscall entry), or in
 * records, or when too many events are open.
 *
 * Events are emitted in order of their first record's arrival. That keeps the emitted
 * stream's positions monotonic, so `oldestPendingPosition()` is a safe resume point.
 */

/** An event is done when its host's newest serial is this far past the newest serial seen when its last record arrived. */
export const COMPLETE_AFTER_SERIALS = 256;
/**
 * ... or when its host's newest log time is this far (milliseconds of log time) past it.
 * Generous on purpose: on a quiet machine consecutive events are seconds apart while their
 * records still interleave (go-libaudit's out_of_order.log: 7.8 s between serials 60 and
 * 61, and a record of 60 after the first of 61). For a live, idle stream use flushAll().
 */
export const COMPLETE_AFTER_LOG_MS = 60_000;
/** ... or when this many records (any host) arrived after its last record. */
export const COMPLETE_AFTER_RECORDS = 4_096;
/** Hard bound on open events (memory): the oldest is emitted when exceeded. */
export const MAX_EVENTS_IN_FLIGHT = 8_192;
/** Size (a power of 2) of the per-host tables of open and recently emitted events, by serial. */
export const REMEMBERED_DONE_EVENTS = 4_096;

export interface ReassemblyLimits {
  completeAfterSerials: number;
  completeAfterLogMs: number;
  completeAfterRecords: number;
  maxEventsInFlight: number;
}

export const DEFAULT_REASSEMBLY_LIMITS: ReassemblyLimits = {
  completeAfterSerials: COMPLETE_AFTER_SERIALS,
  completeAfterLogMs: COMPLETE_AFTER_LOG_MS,
  completeAfterRecords: COMPLETE_AFTER_RECORDS,
  maxEventsInFlight: MAX_EVENTS_IN_FLIGHT,
};

/** All records of one audit event, in arrival order, each with where it was read. */
export interface AssembledEvent {
  node: string | undefined;
  id: string;
  sec: number;
  ms: number;
  serial: number;
  records: AuditRecord[];
  positions: SourcePosition[];
}

interface PendingEvent extends AssembledEvent {
  slot: number;
  /** Already emitted (out of queue order); skipped when it reaches the queue head. */
  emitted: boolean;
  hostState: HostProgress;
  /** Host's newest serial / log time and the global record count when the last record came. */
  anchorSerial: number;
  anchorLogMs: number;
  anchorRecord: number;
}

/**
 * Per host: progress, open events and recently emitted ones in direct-mapped tables indexed
 * by the serial's low bits (no hashing, no string keys to retain: see decode-value.ts
 * detach()). Two open events a multiple of SLOTS serials apart would share a slot; the
 * older one is then emitted first (it is long complete: COMPLETE_AFTER_SERIALS << SLOTS).
 */
interface HostProgress {
  maxSerial: number;
  maxLogMs: number;
  open: (PendingEvent | undefined)[];
  /** Serial and log time (ms) of the last emitted event per slot, to recognise late records. */
  doneSerial: Float64Array;
  doneLogMs: Float64Array;
  /** 1 when that event was emitted by flushOpen (the input had gone quiet), not by distance. */
  doneQuiet: Uint8Array;
}

const SLOTS = REMEMBERED_DONE_EVENTS;
const SLOT_MASK = SLOTS - 1;

const U32 = 0x1_0000_0000;
const HALF_U32 = 0x8000_0000;

/** Forward distance from `from` to `to` in u32 serial space; 0 when `to` is behind. */
export function serialDistance(from: number, to: number): number {
  // `>>> 0` is u32 arithmetic in one integer op (a `%` on values above 2^31 is a slow fmod).
  const d = (to - from) >>> 0;
  return d >= HALF_U32 ? 0 : d;
}

export interface ReassemblerCallbacks {
  onEvent(event: AssembledEvent): void;
  /**
   * A record for an event that was already emitted: it arrived beyond every limit, or
   * (`afterQuiet`) after the input had gone quiet and flushOpen emitted the event.
   */
  onLateRecord(record: AuditRecord, position: SourcePosition, afterQuiet: boolean): void;
}

export class Reassembler {
  /**
   * Open events in order of first arrival (emission order): an array with a moving head,
   * cheaper on the per-record path than a Set and its iterators.
   */
  private queue: PendingEvent[] = [];
  private head = 0;
  private open = 0;
  private readonly hosts = new Map<string | undefined, HostProgress>();
  private recordCount = 0;

  constructor(
    private readonly callbacks: ReassemblerCallbacks,
    private readonly limits: ReassemblyLimits = DEFAULT_REASSEMBLY_LIMITS,
  ) {}

  /** Number of open events. */
  get inFlight(): number {
    return this.open;
  }

  push(record: AuditRecord, position: SourcePosition): void {
    this.recordCount++;
    let host = this.hosts.get(record.node);
    const logMs = record.sec * 1000 + record.ms;
    if (host === undefined) {
      host = {
        maxSerial: record.serial,
        maxLogMs: logMs,
        open: new Array<PendingEvent | undefined>(SLOTS).fill(undefined),
        doneSerial: new Float64Array(SLOTS).fill(-1),
        doneLogMs: new Float64Array(SLOTS),
        doneQuiet: new Uint8Array(SLOTS),
      };
      this.hosts.set(record.node === undefined ? undefined : detach(record.node), host);
    } else {
      if (serialDistance(host.maxSerial, record.serial) > 0) host.maxSerial = record.serial;
      if (logMs > host.maxLogMs) host.maxLogMs = logMs;
    }
    const slot = record.serial & SLOT_MASK;
    let event = host.open[slot];
    if (event !== undefined && (event.serial !== record.serial || event.sec !== record.sec || event.ms !== record.ms)) {
      // Another event in this slot: far older, or the same serial after a counter restart.
      host.open[slot] = undefined;
      this.emit(event);
      event = undefined;
    }
    if (event === undefined) {
      if (host.doneSerial[slot] === record.serial && host.doneLogMs[slot] === logMs) {
        this.callbacks.onLateRecord(record, position, host.doneQuiet[slot] === 1);
        return;
      }
      event = {
        slot,
        emitted: false,
        node: record.node,
        id: record.id,
        sec: record.sec,
        ms: record.ms,
        serial: record.serial,
        records: [record],
        positions: [position],
        hostState: host,
        anchorSerial: host.maxSerial,
        anchorLogMs: host.maxLogMs,
        anchorRecord: this.recordCount,
      };
      host.open[slot] = event;
      this.queue.push(event);
      this.open++;
    } else {
      event.records.push(record);
      event.positions.push(position);
      event.anchorSerial = host.maxSerial;
      event.anchorLogMs = host.maxLogMs;
      event.anchorRecord = this.recordCount;
    }
    this.flushDue();
  }

  /** Emits every open event (end of input, or a live input that has gone quiet). */
  finish(): void {
    for (let i = this.head; i < this.queue.length; i++) {
      const event = this.queue[i]!;
      if (event.emitted) continue;
      event.hostState.open[event.slot] = undefined;
      this.emit(event);
    }
    this.queue = [];
    this.head = 0;
  }

  /**
   * A live input gone quiet: emits the open events except those `hold` keeps, which stay
   * open in their place (oldestPendingPosition() is the first of them) for records still to
   * come. Returns how many stay open.
   */
  flushOpen(hold: (event: AssembledEvent) => boolean): number {
    let held = 0;
    const queue = this.queue;
    for (let i = this.head; i < queue.length; i++) {
      const event = queue[i]!;
      if (event.emitted) continue;
      if (hold(event)) {
        held++;
        continue;
      }
      event.hostState.open[event.slot] = undefined;
      this.emit(event, true);
    }
    if (held === 0) {
      this.queue = [];
      this.head = 0;
    } else {
      while (queue[this.head]!.emitted) queue[this.head++] = undefined as unknown as PendingEvent;
    }
    return held;
  }

  /** Position of the first record of the oldest open event, if any. */
  oldestPendingPosition(): SourcePosition | undefined {
    for (let i = this.head; i < this.queue.length; i++) {
      const event = this.queue[i]!;
      if (!event.emitted) return event.positions[0];
    }
    return undefined;
  }

  private flushDue(): void {
    const { completeAfterSerials, completeAfterLogMs, completeAfterRecords, maxEventsInFlight } = this.limits;
    const queue = this.queue;
    while (this.head < queue.length) {
      const event = queue[this.head]!;
      if (!event.emitted) {
        const due =
          this.open > maxEventsInFlight ||
          this.recordCount - event.anchorRecord >= completeAfterRecords ||
          serialDistance(event.anchorSerial, event.hostState.maxSerial) > completeAfterSerials ||
          event.hostState.maxLogMs - event.anchorLogMs > completeAfterLogMs;
        if (!due) break;
        event.hostState.open[event.slot] = undefined;
        this.emit(event);
      }
      queue[this.head++] = undefined as unknown as PendingEvent;
    }
    if (this.head > 1024 && this.head * 2 > queue.length) {
      this.queue = queue.slice(this.head);
      this.head = 0;
    }
  }

  private emit(event: PendingEvent, quiet = false): void {
    event.emitted = true;
    this.open--;
    const host = event.hostState;
    host.doneSerial[event.slot] = event.serial;
    host.doneLogMs[event.slot] = event.sec * 1000 + event.ms;
    host.doneQuiet[event.slot] = quiet ? 1 : 0;
    this.callbacks.onEvent(event);
  }
}
