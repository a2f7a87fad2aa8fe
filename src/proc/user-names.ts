import { readFileSync, statSync } from 'node:fs';

export const DEFAULT_PASSWD_PATH = '/etc/passwd';

interface PasswdTable {
  path: string;
  mtimeMs: number;
  names: Map<number, string>;
}

let table: PasswdTable | undefined;

/** Parses passwd(5) text into uid -> first name listed for that uid. */
export function parsePasswd(text: string): Map<number, string> {
  const names = new Map<number, string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const [name, , uidText] = line.split(':');
    const uid = Number(uidText);
    if (name && uidText && Number.isSafeInteger(uid) && !names.has(uid)) names.set(uid, name);
  }
  return names;
}

function load(path: string): PasswdTable {
  try {
    const mtimeMs = statSync(path).mtimeMs;
    return { path, mtimeMs, names: parsePasswd(readFileSync(path, 'utf8')) };
  } catch {
    return { path, mtimeMs: -1, names: new Map() };
  }
}

/**
 * User name for a uid from /etc/passwd, or the uid in decimal when no entry exists (as
 * ps does). The table is read once and cached; on a miss we re-read it only if the file
 * changed, because an account added during an incident (`useradd` by an intruder) must
 * still get its name.
 */
export function userName(uid: number, passwdPath: string = DEFAULT_PASSWD_PATH): string {
  if (table?.path !== passwdPath) table = load(passwdPath);
  let name = table.names.get(uid);
  if (name === undefined) {
    let mtimeMs = -1;
    try {
      mtimeMs = statSync(passwdPath).mtimeMs;
    } catch {
      // unreadable passwd: keep the old table
    }
    if (mtimeMs !== table.mtimeMs) {
      table = load(passwdPath);
      name = table.names.get(uid);
    }
  }
  return name ?? String(uid);
}
