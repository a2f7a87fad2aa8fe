import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Which files of a log directory to read, oldest first, so events stay in order:
 * auditd's own rotation (`audit.log.N`: higher N is older, `audit.log` is the newest),
 * logrotate's (`audit.log.N.gz`, `audit.log-YYYYMMDD[.gz]`). Other files are not logs.
 */
const ROTATED_NAME = /^(?<base>.+\.log)(?:\.(?<n>\d+)|-(?<date>\d{8,14}))?(?<gz>\.gz)?$/;

interface Ranked {
  name: string;
  base: string;
  /** 0 = dated (oldest by date), 1 = numbered (oldest = highest N), 2 = the live file. */
  group: number;
  key: number | string;
}

/** Orders file names oldest first; names that are not rotated logs are returned in `ignored`. */
export function orderRotatedLogs(names: readonly string[]): { ordered: string[]; ignored: string[] } {
  const ranked: Ranked[] = [];
  const ignored: string[] = [];
  for (const name of names) {
    const match = ROTATED_NAME.exec(name);
    if (match?.groups === undefined) {
      ignored.push(name);
      continue;
    }
    const { base, n, date } = match.groups;
    if (date !== undefined) ranked.push({ name, base: base!, group: 0, key: date });
    else if (n !== undefined) ranked.push({ name, base: base!, group: 1, key: -Number(n) });
    else ranked.push({ name, base: base!, group: 2, key: 0 });
  }
  ranked.sort((a, b) => {
    if (a.base !== b.base) return a.base < b.base ? -1 : 1;
    if (a.group !== b.group) return a.group - b.group;
    if (a.key !== b.key) return a.key < b.key ? -1 : 1;
    // audit.log.1 before audit.log.1.gz: arbitrary but stable.
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
  return { ordered: ranked.map((r) => r.name), ignored };
}

/**
 * Regular files of `dir` that look like (rotated) logs, oldest first, as full paths. A
 * symlink to a regular file counts as that file (an evidence folder of links to
 * /var/log/audit/audit.log*); one to anything else, or dangling, does not.
 */
export async function listRotatedLogs(dir: string): Promise<{ files: string[]; ignored: string[] }> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names: string[] = [];
  for (const e of entries) {
    if (e.isFile()) names.push(e.name);
    else if (e.isSymbolicLink() && (await stat(join(dir, e.name)).then((st) => st.isFile(), () => false))) names.push(e.name);
  }
  const { ordered, ignored } = orderRotatedLogs(names);
  return { files: ordered.map((name) => join(dir, name)), ignored };
}
