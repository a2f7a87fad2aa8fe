/**
 * An AbortSignal for long-running commands (capture, watch): aborted by SIGINT, SIGTERM
 * or after `durationS`. While it is installed, the signals no longer kill the process, so
 * the command can flush its files and database and exit in one place.
 */
export function stopSignal(durationS?: number): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const timer = durationS === undefined ? undefined : setTimeout(stop, durationS * 1000);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      if (timer) clearTimeout(timer);
    },
  };
}
