import { UsageError } from './user-error.js';

/**
 * `--wait [SECONDS]` of the commands that write a history: node's parseArgs has no option
 * with an optional value, so it is taken out of the arguments first. `--wait` alone (or
 * followed by something that is not a number, such as the INPUT) waits as long as it
 * takes: Infinity. `--wait 30` or `--wait=30` gives up after 30 s. Undefined: not given.
 */
export function takeWaitOption(args: readonly string[]): { args: string[]; wait: number | undefined } {
  const rest: string[] = [];
  let wait: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      rest.push(...args.slice(i));
      break;
    }
    if (arg.startsWith('--wait=')) {
      wait = seconds(arg.slice('--wait='.length));
    } else if (arg === '--wait') {
      const next = args[i + 1];
      if (next !== undefined && SECONDS.test(next)) {
        wait = seconds(next);
        i++;
      } else wait = Number.POSITIVE_INFINITY;
    } else rest.push(arg);
  }
  return { args: rest, wait };
}

const SECONDS = /^\d+(\.\d+)?$/;

function seconds(text: string): number {
  if (!SECONDS.test(text)) throw new UsageError(`--wait takes a number of seconds (or nothing: wait as long as it takes), got '${text}'`);
  return Number(text);
}

/** The usage line of --wait, shared by ingest and watch. */
export const WAIT_USAGE = [
  '  --wait [SECONDS]   another process is writing this database: queue behind it instead of',
  '                     exiting 75 (EX_TEMPFAIL); with SECONDS, give up after that long',
].join('\n');
