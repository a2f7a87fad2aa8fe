/** The fields of /proc/PID/stat that the process tree needs. */
export interface ProcStat {
  pid: number;
  /** Task name, raw (may contain spaces, parentheses, even newlines). */
  comm: string;
  /** One-letter state (R, S, D, Z, ...). */
  state: string;
  ppid: number;
  /** Start time in clock ticks (USER_HZ) since boot, field 22. */
  startTicks: bigint;
}

// Index of each field inside the part after "comm) ", i.e. field number minus 3.
const STATE = 0;
const PPID = 1;
const STARTTIME = 19;

/**
 * Parses the text of /proc/PID/stat. Returns undefined for text that is not a stat line.
 *
 * The task name sits between the first '(' and the LAST ')': a process can name itself
 * `x) y (z` (prctl PR_SET_NAME or /proc/self/comm), so splitting on spaces or on the first
 * ')' would shift every later field and put a wrong ppid into the tree. The kernel prints
 * no ')' after the name, so the last one always closes it.
 */
export function parseStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 1 || close < open) return undefined;
  const pid = Number(text.slice(0, open).trim());
  const rest = text.slice(close + 1).trim().split(' ');
  const state = rest[STATE];
  const ppidText = rest[PPID];
  const startText = rest[STARTTIME];
  if (!Number.isSafeInteger(pid) || state === undefined || ppidText === undefined || startText === undefined) {
    return undefined;
  }
  const ppid = Number(ppidText);
  if (!Number.isSafeInteger(ppid) || !/^\d+$/.test(startText)) return undefined;
  return { pid, comm: text.slice(open + 1, close), state, ppid, startTicks: BigInt(startText) };
}
