/**
 * Positions of the last `capacity` lines handed to the adapter, in reading order (source
 * ordinal, byte offset, line number). Lets a commit pick a resume point some lines before
 * the adapter's oldest pending record, so a resumed reader re-reads enough context to
 * reassemble and gap-check exactly as an uninterrupted run (re-emitted events are then
 * skipped by the ResumeGuard). Typed arrays: no garbage per line.
 */
export interface ReadPosition {
  ord: number;
  offset: number;
  line?: number;
}

export class PositionRing {
  private readonly ords: Int32Array;
  private readonly offsets: Float64Array;
  private readonly lines: Float64Array;
  private next = 0;
  private size = 0;

  constructor(private readonly capacity: number) {
    this.ords = new Int32Array(capacity);
    this.offsets = new Float64Array(capacity);
    this.lines = new Float64Array(capacity);
  }

  push(ord: number, offset: number, line: number | undefined): void {
    this.ords[this.next] = ord;
    this.offsets[this.next] = offset;
    this.lines[this.next] = line ?? -1;
    this.next = (this.next + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
  }

  /** Position `margin` lines before `pos` (or the oldest remembered line); `pos` itself when it is older than them all. */
  before(pos: ReadPosition, margin: number): ReadPosition {
    if (this.size === 0) return pos;
    const first = (this.next - this.size + this.capacity) % this.capacity;
    const at = (k: number): number => (first + k) % this.capacity;
    // Binary search the first remembered line at or after pos (reading order is monotonic).
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const i = at(mid);
      if (compare(this.ords[i]!, this.offsets[i]!, pos.ord, pos.offset) < 0) lo = mid + 1;
      else hi = mid;
    }
    if (lo === 0) {
      const i = at(0);
      if (compare(this.ords[i]!, this.offsets[i]!, pos.ord, pos.offset) > 0) return pos;
    }
    const i = at(Math.max(0, lo - margin));
    const line = this.lines[i]!;
    return line < 0 ? { ord: this.ords[i]!, offset: this.offsets[i]! } : { ord: this.ords[i]!, offset: this.offsets[i]!, line };
  }
}

export function compare(ordA: number, offA: number, ordB: number, offB: number): number {
  return ordA !== ordB ? ordA - ordB : offA - offB;
}
