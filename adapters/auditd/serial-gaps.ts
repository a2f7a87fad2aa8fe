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

interface HostSerials {
  /** Smallest serial not yet seen or declared lost. */
  next: number;
  /** Serials seen beyond `next`, waiting for the hole before them to fill. */
  ahead: Map<number, SerialMark>;
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
    header: { sec: number; ms: number; idStart: number; idEnd: number },
    position: SourcePosition,
  ): void {
    const mark = (): SerialMark => ({ sec: header.sec, ms: header.ms, id: detach(line.slice(header.idStart, header.idEnd)), position });
    const host = this.hosts.get(node);
    if (host === undefined) {
      this.hosts.set(node, { next: (serial + 1) >>> 0, ahead: new Map() });
      return;
    }
    const d = (serial - host.next) >>> 0;
    if (d === 0) {
      host.next = (host.next + 1) >>> 0;
      this.advance(host);
      return;
    }
    if (d >= HALF_U32) {
      // Behind: another record of an event already seen, or a late one. Far behind: restart.
      if (U32 - d > RESET_BEHIND_SERIALS) {
        const expected = host.next;
        host.next = (serial + 1) >>> 0;
        host.ahead.clear();
        this.callbacks.onReset(node, mark(), expected);
      }
      return;
    }
    if (!host.ahead.has(serial)) host.ahead.set(serial, mark());
    // Resolve in batches (at 2x the window, down to 1x) so a log full of holes stays cheap.
    if (d > 2 * this.window) this.resolveHoles(node, host, this.window);
  }

  /** End of input: every remaining hole between seen serials is a loss. */
  finish(): void {
    for (const [node, host] of this.hosts) this.resolveHoles(node, host, 0);
  }

  private advance(host: HostSerials): void {
    while (host.ahead.size > 0 && host.ahead.delete(host.next)) host.next = (host.next + 1) >>> 0;
  }

  /**
   * Declares holes lost, oldest first, until everything still waiting is within `keep`
   * serials of `next`. One sort per call; calls are at most one per `window` serials.
   */
  private resolveHoles(node: string | undefined, host: HostSerials, keep: number): void {
    if (host.ahead.size === 0) return;
    const base = host.next;
    const seen = [...host.ahead.keys()].map((serial) => (serial - base) >>> 0).sort((a, b) => a - b);
    const farthest = seen[seen.length - 1]!;
    let expected = 0; // distance of the new `next` from `base`
    for (const d of seen) {
      if (farthest - expected <= keep) break;
      const serial = (base + d) >>> 0;
      if (d > expected) {
        // Serial 0 is skipped by kernels that never hand it out: not a loss.
        const start = base + expected;
        const end = base + d - 1;
        const holeHasZero = start === 0 || (start <= U32 && end >= U32);
        const count = d - expected - (holeHasZero ? 1 : 0);
        if (count > 0) this.callbacks.onLoss(node, count, host.ahead.get(serial)!);
      }
      host.ahead.delete(serial);
      expected = d + 1;
    }
    host.next = (base + expected) >>> 0;
    this.advance(host);
  }
}
