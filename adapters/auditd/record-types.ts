/**
 * Record types the adapter reads. Everything else (PATH, USER_*, AVC, SOCKADDR, EOE, ...)
 * is skipped right after the header, before its fields are split: on a busy log that is
 * most lines. OBJ_PID names the targets of a kill/tkill/tgkill (a SIGKILL ends them
 * without an exit record). EOE is not needed: events are completed by distance (see reassemble.ts).
 */
export const USED_RECORD_TYPES: ReadonlySet<string> = new Set(['SYSCALL', 'EXECVE', 'PROCTITLE', 'CWD', 'OBJ_PID']);

/**
 * The used type at line[start, end) as a shared constant string, or undefined for any
 * other type: USED_RECORD_TYPES.has() without slicing the type out of the line.
 */
export function usedTypeAt(line: string, start: number, end: number): string | undefined {
  switch (end - start) {
    case 7:
      if (line.startsWith('SYSCALL', start)) return 'SYSCALL';
      return line.startsWith('OBJ_PID', start) ? 'OBJ_PID' : undefined;
    case 6:
      return line.startsWith('EXECVE', start) ? 'EXECVE' : undefined;
    case 9:
      return line.startsWith('PROCTITLE', start) ? 'PROCTITLE' : undefined;
    case 3:
      return line.startsWith('CWD', start) ? 'CWD' : undefined;
    default:
      return undefined;
  }
}
