import { closeSync, mkdirSync, openSync, readdirSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Bytes collected before one write(2): large enough to be cheap, small enough to bound memory. */
const BUFFER_BYTES = 4 << 20;

export interface WrittenFile {
  path: string;
  bytes: number;
}

/**
 * Writes an audit log into DIR the way auditd rotates it: `audit.log` is the newest file,
 * `audit.log.1` the one before, up to `audit.log.N` (the oldest). We write oldest first into
 * numbered parts and give them their auditd names at close, when the count is known.
 * Memory stays at one flush buffer whatever the total size.
 */
export class RotatingLogWriter {
  private readonly buffer = Buffer.allocUnsafe(BUFFER_BYTES);
  private pending = 0;
  private fd = -1;
  private fileBytes = 0;
  private readonly parts: WrittenFile[] = [];
  totalBytes = 0;
  totalLines = 0;

  constructor(private readonly dir: string, private readonly rotateBytes: number) {
    mkdirSync(dir, { recursive: true });
    for (const name of readdirSync(dir)) if (/^audit\.log(\.\d+)?$|^audit\.log\.part-\d+$/.test(name)) unlinkSync(join(dir, name));
    this.open();
  }

  /** Appends one event's lines (each without its newline). Rotates only between events. */
  writeEvent(lines: readonly string[]): void {
    for (const line of lines) {
      // Lines are ASCII (the GS byte included), so length is the byte count.
      const size = line.length + 1;
      if (this.pending + size > BUFFER_BYTES) this.flush();
      if (size > BUFFER_BYTES) {
        this.writeAll(Buffer.from(line + '\n', 'latin1'));
      } else {
        this.buffer.write(line, this.pending, 'latin1');
        this.buffer[this.pending + line.length] = 10;
        this.pending += size;
      }
      this.fileBytes += size;
      this.totalBytes += size;
    }
    this.totalLines += lines.length;
    if (this.rotateBytes > 0 && this.fileBytes >= this.rotateBytes) {
      this.flush();
      closeSync(this.fd);
      this.open();
    }
  }

  /** Flushes, closes and renames; returns the files oldest first. */
  close(): WrittenFile[] {
    this.flush();
    closeSync(this.fd);
    const last = this.parts[this.parts.length - 1];
    if (last !== undefined) last.bytes = this.fileBytes;
    if (last !== undefined && last.bytes === 0 && this.parts.length > 1) {
      unlinkSync(last.path);
      this.parts.pop();
    }
    const n = this.parts.length;
    return this.parts.map((part, i) => {
      const path = join(this.dir, i === n - 1 ? 'audit.log' : `audit.log.${n - 1 - i}`);
      renameSync(part.path, path);
      return { path, bytes: part.bytes };
    });
  }

  private open(): void {
    const previous = this.parts[this.parts.length - 1];
    if (previous !== undefined) previous.bytes = this.fileBytes;
    const path = join(this.dir, `audit.log.part-${String(this.parts.length).padStart(5, '0')}`);
    this.fd = openSync(path, 'w');
    this.parts.push({ path, bytes: 0 });
    this.fileBytes = 0;
  }

  private flush(): void {
    if (this.pending === 0) return;
    this.writeAll(this.buffer.subarray(0, this.pending));
    this.pending = 0;
  }

  private writeAll(buf: Buffer): void {
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd, buf, off);
  }
}
