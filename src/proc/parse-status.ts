/** The fields of /proc/PID/status that the process tree needs. */
export interface ProcStatus {
  /** Task name as status prints it (the kernel escapes `\n` and `\\` here, unlike stat). */
  name: string;
  tgid: number;
  ppid: number;
  /** Real, effective, saved set, filesystem uid. */
  uids: [number, number, number, number];
  gids: [number, number, number, number];
}

function ids(value: string | undefined): [number, number, number, number] | undefined {
  const parts = (value ?? '').trim().split(/\s+/).map(Number);
  if (parts.length !== 4 || parts.some((n) => !Number.isSafeInteger(n))) return undefined;
  return parts as [number, number, number, number];
}

/** Parses the text of /proc/PID/status. Returns undefined when a needed line is missing. */
export function parseStatus(text: string): ProcStatus | undefined {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1).replace(/^\t/, ''));
  }
  const uids = ids(fields.get('Uid'));
  const gids = ids(fields.get('Gid'));
  const tgid = Number(fields.get('Tgid'));
  const ppid = Number(fields.get('PPid'));
  const name = fields.get('Name');
  if (!uids || !gids || name === undefined || !Number.isSafeInteger(tgid) || !Number.isSafeInteger(ppid)) {
    return undefined;
  }
  return { name, tgid, ppid, uids, gids };
}
