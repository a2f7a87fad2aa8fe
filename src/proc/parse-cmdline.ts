/**
 * Splits /proc/PID/cmdline (arguments separated and terminated by NUL) into argv.
 * Empty for kernel threads and zombies. A process that rewrote its argv area
 * (setproctitle) may have no NULs at all: the whole text is then one argument, as the
 * kernel reports it, rather than a guess at word boundaries.
 */
export function parseCmdline(text: string): string[] {
  if (text.length === 0) return [];
  const body = text.endsWith('\0') ? text.slice(0, -1) : text;
  return body.split('\0');
}
