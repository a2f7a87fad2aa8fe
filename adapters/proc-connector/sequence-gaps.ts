/**
 * Counts messages we never received, per CPU.
 *
 * The kernel numbers proc connector messages with a per-CPU counter (cn_msg.seq,
 * incremented for every message built while anyone listens, delivered or not), so a jump
 * from n to n+k on one CPU means k-1 messages were dropped: by a receive-queue overflow
 * (ENOBUFS) or by a gap in a capture. This is exact, which ENOBUFS alone is not: the
 * kernel reports an overflow once, without a count.
 */
export class SequenceGaps {
  private readonly lastSeqByCpu = new Map<number, number>();

  /** Records one message; returns how many messages from this CPU were missed before it. */
  observe(cpu: number, seq: number): number {
    const last = this.lastSeqByCpu.get(cpu);
    this.lastSeqByCpu.set(cpu, seq);
    if (last === undefined) return 0; // first message from this CPU: nothing to compare
    const missing = ((seq - last - 1) >>> 0); // u32 wrap-around
    // A "gap" of almost 2^32 is a message older than the last one (the kernel's per-CPU
    // order can interleave with our batches only across CPUs, never within one): not loss.
    return missing > 0x7fffffff ? 0 : missing;
  }
}
