const MARKS = [Buffer.from('\ntype='), Buffer.from('\nnode=')];
/** Longest mark minus one: what a mark cut by a chunk boundary can leave in the previous chunk. */
const CARRY = 5;

/**
 * Whether an input read from its start holds at least one audit record: a line starting
 * with `type=` or `node=` (as sniff-format.ts recognises a log). Lets the summary tell a
 * user that a file was empty or not an audit log at all, instead of a silent success.
 * Looks only until the first record (normally inside the first piece), so a real log costs
 * one indexOf; a text file is scanned once with memchr-speed indexOf.
 */
export class RecordProbe {
  found = false;
  /** Last bytes seen, prefixed by a newline at the start of the input. */
  private tail: Buffer = Buffer.from('\n');

  see(piece: Buffer): void {
    if (this.found || piece.length === 0) return;
    const joint = Buffer.concat([this.tail, piece.subarray(0, CARRY + 1)]);
    if (MARKS.some((m) => joint.includes(m) || piece.includes(m))) {
      this.found = true;
      return;
    }
    this.tail = Buffer.from(piece.length >= CARRY ? piece.subarray(piece.length - CARRY) : Buffer.concat([this.tail, piece]).subarray(-CARRY));
  }
}
