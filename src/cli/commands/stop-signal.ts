import { UsageError } from '../user-error.js';

/**
 * `--duration SECONDS` of the long-running commands (capture, watch, ingest --follow):
 * undefined when not given; a usage error unless it is a positive, finite number.
 */
export function parseDurationS(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const seconds = value.trim() === '' ? Number.NaN : Number(value);
  if (!(Number.isFinite(seconds) && seconds > 0)) throw new UsageError(`--duration must be a positive number of seconds, got '${value}'`);
  return seconds;
}

/**
 * An AbortSignal for long-running commands (capture, watch, ingest): aborted by SIGINT,
 * SIGTERM or after `durationS`; its reason is the signal's name ('SIGINT', 'SIGTERM') or
 * 'duration'. While it is installed, the signals no longer kill the process, so the command
 * can flush its files and database and exit in one place.
 */
export function stopSignal(durationS?: number): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const stop = (name?: unknown): void => controller.abort(typeof name === 'string' ? name : 'duration');
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

/** The exit status of a run stopped by `signal` (128 + its number, as a shell reports a kill): SIGINT 130, SIGTERM 143. */
export function stoppedExitCode(signal: string): number {
  return signal === 'SIGTERM' ? 143 : 130;
}
