/**
 * `chunks`, with `undefined` yielded each time no chunk came for `idleMs`: a pipe that went
 * quiet (`tail -f audit.log | proc-tree ingest -`) lets the reader commit what it has
 * instead of holding it until more input or the end. The pending read is kept across ticks.
 */
export async function* withIdleTicks(chunks: AsyncIterable<Buffer>, idleMs: number): AsyncGenerator<Buffer | undefined> {
  const it = chunks[Symbol.asyncIterator]();
  let next = it.next();
  try {
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const tick = new Promise<'idle'>((resolve) => (timer = setTimeout(() => resolve('idle'), idleMs)));
      const got = await Promise.race([next, tick]);
      clearTimeout(timer);
      if (got === 'idle') {
        yield undefined;
        continue;
      }
      if (got.done === true) return;
      next = it.next();
      yield got.value;
    }
  } finally {
    await it.return?.();
  }
}
