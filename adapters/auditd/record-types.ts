/**
 * Record types the adapter reads. Everything else (PATH, USER_*, AVC, SOCKADDR, EOE, ...)
 * is skipped right after the header, before its fields are split: on a busy log that is
 * most lines. EOE is not needed: events are completed by distance (see reassemble.ts).
 */
export const USED_RECORD_TYPES: ReadonlySet<string> = new Set(['SYSCALL', 'EXECVE', 'PROCTITLE', 'CWD']);

/**
 * auditd's own records (DAEMON_START, DAEMON_ROTATE, ...) carry auditd's serial counter,
 * not the kernel's, so they must stay out of serial-gap loss detection.
 */
export function isDaemonRecord(type: string): boolean {
  return type.startsWith('DAEMON_');
}

/** USED_RECORD_TYPES.has(type) without slicing the type out of the line. */
export function isUsedTypeAt(line: string, start: number, end: number): boolean {
  switch (end - start) {
    case 7:
      return line.startsWith('SYSCALL', start);
    case 6:
      return line.startsWith('EXECVE', start);
    case 9:
      return line.startsWith('PROCTITLE', start);
    case 3:
      return line.startsWith('CWD', start);
    default:
      return false;
  }
}
