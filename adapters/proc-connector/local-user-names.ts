import type { ProcEvent } from '../../src/events/proc-event.js';
import { userName } from '../../src/proc/user-names.js';

/**
 * A live event with the names of its uid and euid filled from this machine's /etc/passwd,
 * as the /proc snapshot of `proc-tree ancestry PID` names them. Only for a live source
 * (`watch`): the connector and /proc give numbers, and here the host whose passwd we read
 * is the host the numbers come from. A replayed capture keeps its numbers (another host's
 * uid 1000 is not ours). Names already given are kept.
 */
export function withLocalUserNames(event: ProcEvent): ProcEvent {
  if (event.kind !== 'observed' && event.kind !== 'exec' && event.kind !== 'creds') return event;
  const creds = event.creds;
  if (creds === undefined) return event;
  const user = creds.user === undefined && creds.uid !== undefined ? passwdName(creds.uid) : undefined;
  const euser = creds.euser === undefined && creds.euid !== undefined ? passwdName(creds.euid) : undefined;
  if (user === undefined && euser === undefined) return event;
  return { ...event, creds: { ...creds, ...(user !== undefined ? { user } : {}), ...(euser !== undefined ? { euser } : {}) } } as ProcEvent;
}

/** The passwd name of uid, undefined without an entry (then the uid is shown as `uid:N`, not as a name). */
function passwdName(uid: number): string | undefined {
  const name = userName(uid);
  return name === String(uid) ? undefined : name;
}
