import type { SourcePosition } from '../../src/events/event-sink.js';
import { detach } from './decode-value.js';

/**
 * Loss detection from kernel audit serials. The kernel numbers every event it logs with a
 * u32 counter (audit_serial(), wraps to 0 after 2^32-1: go-libaudit's rollover.log), so a
 * hole in the sequence means events were logged but never reached the file (kauditd
 * queue overflow, auditd backlog, a missing rotated file). There is no explicit "lost"
 * record (go-libaudit's lost_messages.log: 49 then 59 = 9 lost).
 *
 * Serials arrive slightly out of order (several CPUs), so a hole only counts once the
 * stream is `LOSS_WINDOW_SERIALS` past it, or at the end of input. A jump far backwards
 * is a restart of the counter (reboot, or another log concatenated), not a loss.
 * auditd's own DAEMON_* records use auditd's counter, not the kernel's: callers must not
 * feed them here.
 */

/** A hole is declared lost once a serial this far beyond it has been seen. */
export const LOSS_WINDOW_SERIALS = 1_024;
/** A serial this far behind the expected one means the counter restarted. */
export const RESET_BEHIND_SERIALS = 100_000;

const U32 = 0x1_0000_0000;
const HALF_U32 = 0x8000_0000;

export interface SerialMark {
  sec: number;
  ms: number;
  id: string;
  position: SourcePosition;
}

export interface SerialGapCallbacks {
  /** `count` serials between the last one seen and `after` never appeared. */
  onLoss(node: string | undefined, count: number, after: SerialMark): void;
  /** The counter went far backwards: tracking restarts from `at`. */
  onReset(node: string | undefined, at: SerialMark, expected: number): void;
}

/**
 * Serials seen beyond `next`, as ascending runs of consecutive serials (distances from
 * `next`), each with the mark of its first serial. Serials mostly arrive in order, so a
 * record usually just extends the last run: no allocation per line even while a hole
 * stays open (a log with many holes was the slowest case of the adapter).
 */
interface HostSerials {
  /** Smallest serial not yet seen or declared lost. */
  next: number;
  runStart: number[];
  runEnd: number[];
  runMark: SerialMark[];
}

/** Where a record's time and id are in its line (the adapter's HeaderScan). */
interface MarkHeader {
  sec: number;
  ms: number;
  idStart: number;
  idEnd: number;
}

/** Made only when a mark is kept (a hole opens): `see` runs for every line. */
function markOf(line: string, header: MarkHeader, position: SourcePosition): SerialMark {
  return { sec: header.sec, ms: header.ms, id: detach(line.slice(header.idStart, header.idEnd)), position };
}

export class SerialGapTracker {
  private readonly hosts = new Map<string | undefined, HostSerials>();

  constructor(
    private readonly callbacks: SerialGapCallbacks,
    private readonly window: number = LOSS_WINDOW_SERIALS,
  ) {}

  /**
   * Notes one record's serial (`node` keeps hosts apart). `line` + `header` describe the
   * record (only read when a mark must be kept: this runs for every line).
   */
  see(
    node: string | undefined,
    serial: number,
    line: string,
    header: MarkHeader,
    position: SourcePosition,
  ): void {
    const host = this.hosts.get(node);
    if (host === undefined) {
      this.hosts.set(node, { next: (serial + 1) >>> 0, runStart: [], runEnd: [], runMark: [] });
      return;
    }
    const d = (serial - host.next) >>> 0;
    if (d === 0 && host.runStart.length === 0) {
      host.next = (host.next + 1) >>> 0;
      return;
    }
    if (d >= HALF_U32) {
      // Behind: another record of an event already seen, or a late one. Far behind: restart.
      if (U32 - d > RESET_BEHIND_SERIALS) {
        const expected = host.next;
        host.next = (serial + 1) >>> 0;
        host.runStart.length = 0;
        host.runEnd.length = 0;
        host.runMark.length = 0;
        this.callbacks.onReset(node, markOf(line, header, position), expected);
      }
      return;
    }
    this.addAhead(host, d, line, header, position);
    const last = host.runEnd.length - 1;
    // Resolve in batches (at 2x the window, down to 1x) so a log full of holes stays cheap.
    if (last >= 0 && host.runEnd[last]! > 2 * this.window) this.resolveHoles(node, host, this.window);
  }

  /** End of input: every remaining hole between seen serials is a loss. */
  finish(): void {
    for (const [node, host] of this.hosts) this.resolveHoles(node, host, 0);
  }

  /** Records distance `d` (> 0, or 0 while runs exist) from `next`. */
  private addAhead(host: HostSerials, d: number, line: string, header: MarkHeader, position: SourcePosition): void {
    const { runStart, runEnd, runMark } = host;
    let i = runEnd.length - 1;
    // Find the last run starting at or before d (usually the last one).
    while (i >= 0 && runStart[i]! > d) i--;
    if (i >= 0 && d <= runEnd[i]!) return; // already seen
    if (i >= 0 && d === runEnd[i]! + 1) {
      runEnd[i] = d;
      // Merge with the following run when the gap between them closed.
      if (i + 1 < runStart.length && runStart[i + 1] === d + 1) {
        runEnd[i] = runEnd[i + 1]!;
        runStart.splice(i + 1, 1);
        runEnd.splice(i + 1, 1);
        runMark.splice(i + 1, 1);
      }
    } else if (i + 1 < runStart.length && runStart[i + 1] === d + 1) {
      runStart[i + 1] = d;
      runMark[i + 1] = markOf(line, header, position);
    } else {
      runStart.splice(i + 1, 0, d);
      runEnd.splice(i + 1, 0, d);
      runMark.splice(i + 1, 0, markOf(line, header, position));
    }
    if (runStart[0] === 0) this.advance(host);
  }

  /** `next` was filled: move past the first run and rebase the others. */
  private advance(host: HostSerials): void {
    const shift = host.runEnd[0]! + 1;
    host.runStart.shift();
    host.runEnd.shift();
    host.runMark.shift();
    this.rebase(host, shift);
  }

  private rebase(host: HostSerials, shift: number): void {
    host.next = (host.next + shift) >>> 0;
    for (let i = 0; i < host.runStart.length; i++) {
      host.runStart[i]! -= shift;
      host.runEnd[i]! -= shift;
    }
  }

  /**
   * Declares holes lost, oldest first, until everything still waiting is within `keep`
   * serials of `next`.
   */
  private resolveHoles(node: string | undefined, host: HostSerials, keep: number): void {
    while (host.runStart.length > 0 && host.runEnd[host.runEnd.length - 1]! > keep) {
      const hole = host.runStart[0]!;
      const mark = host.runMark[0]!;
      // Serial 0 is skipped by kernels that never hand it out: not a loss.
      const start = host.next;
      const end = host.next + hole - 1;
      const holeHasZero = start === 0 || (start <= U32 && end >= U32);
      const count = hole - (holeHasZero ? 1 : 0);
      this.advance(host);
      if (count > 0) this.callbacks.onLoss(node, count, mark);
    }
  }
}
