/** Bytes gathered before one write: big enough to amortise the syscall, small enough to stream. */
const CHUNK_CHARS = 64 * 1024;

/**
 * Buffered text output that waits for the stream to drain: an export of millions of
 * records to a slow pipe keeps a chunk in memory, not the whole output.
 */
export class LineWriter {
  private buffer: string[] = [];
  private size = 0;

  constructor(private readonly out: NodeJS.WritableStream) {}

  async write(text: string): Promise<void> {
    this.buffer.push(text);
    this.size += text.length;
    if (this.size >= CHUNK_CHARS) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.size === 0) return;
    const chunk = this.buffer.join('');
    this.buffer = [];
    this.size = 0;
    if (!this.out.write(chunk)) await waitForDrain(this.out);
  }
}

function waitForDrain(out: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: Error) => {
      out.off('drain', onDrain);
      out.off('error', done);
      out.off('close', onDrain);
      if (error) reject(error);
      else resolve();
    };
    const onDrain = () => done();
    out.once('drain', onDrain);
    out.once('close', onDrain);
    out.once('error', done);
  });
}
