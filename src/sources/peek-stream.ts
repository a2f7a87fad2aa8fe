/**
 * Reads the first `bytes` bytes of a chunk stream for sniffing without losing them: the
 * returned `chunks` replays them, then continues the original stream. Closing `chunks`
 * early (break/return) closes the original too, so file handles are not leaked.
 *
 * A stream that fails inside the head (a .gz cut short decodes a few hundred bytes, then
 * throws) does not fail the peek: the bytes read so far are the head, and the error is
 * raised again when `chunks` reaches it, so the consumer keeps what came before the damage.
 */
export async function peekStream(
  source: AsyncIterable<Buffer>,
  bytes: number,
  /** Longest head returned (what was read beyond `bytes` is included up to this). */
  headLimit: number = bytes,
): Promise<{ head: Buffer; chunks: AsyncIterable<Buffer> }> {
  const iterator = source[Symbol.asyncIterator]();
  const buffered: Buffer[] = [];
  let size = 0;
  let ended = false;
  let failure: { error: unknown } | undefined;
  while (size < bytes) {
    let next: IteratorResult<Buffer>;
    try {
      next = await iterator.next();
    } catch (error) {
      failure = { error };
      ended = true;
      break;
    }
    if (next.done) {
      ended = true;
      break;
    }
    buffered.push(next.value);
    size += next.value.length;
  }
  const head = buffered.length === 1 ? buffered[0]!.subarray(0, headLimit) : Buffer.concat(buffered).subarray(0, headLimit);
  async function* replay(): AsyncGenerator<Buffer> {
    try {
      yield* buffered;
      if (failure !== undefined) throw failure.error;
      if (ended) return;
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        yield next.value;
      }
    } finally {
      if (!ended) await iterator.return?.();
    }
  }
  return { head, chunks: replay() };
}

/** Drops the first `count` bytes of a stream (resume inside a decompressed input). */
export async function* skipBytes(source: AsyncIterable<Buffer>, count: number): AsyncGenerator<Buffer> {
  let remaining = count;
  for await (const chunk of source) {
    if (remaining >= chunk.length) {
      remaining -= chunk.length;
      continue;
    }
    yield remaining > 0 ? chunk.subarray(remaining) : chunk;
    remaining = 0;
  }
}
