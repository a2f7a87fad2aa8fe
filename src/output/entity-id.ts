import { createHash } from 'node:crypto';

/**
 * `process.entity_id` of an instance: the same in every export of every database that
 * holds this process (Auditbeat's recipe: a hash of host, pid and start time). 22 characters of
 * base64url(sha256("proc-tree\0" + host + "\0" + pid + "\0" + startNs)), startNs in decimal ns.
 * A "seen since" instance's start is its first evidence: ingesting older logs into the same
 * database can move it, and its entity id with it.
 */
export function entityId(host: string, pid: number, startNs: bigint): string {
  const key = `proc-tree\0${host}\0${pid}\0${startNs}`;
  let id = recent.get(key);
  if (id === undefined) {
    if (recent.size >= MAX_RECENT) recent.clear();
    recent.set(key, (id = createHash('sha256').update(key).digest('base64url').slice(0, 22)));
  }
  return id;
}

/**
 * Ids of recent instances: an export names each instance on each of its records and as the
 * parent of each of its children's (a sha256 each was ~6% of an export). Emptied when full.
 */
const MAX_RECENT = 8192;
const recent = new Map<string, string>();
