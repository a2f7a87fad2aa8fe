import { createHash } from 'node:crypto';

/**
 * `process.entity_id` of an instance: the same in every export of every database that
 * holds this process (Auditbeat's recipe: a hash of host, pid and start time). 22 characters of
 * base64url(sha256("proc-tree\0" + host + "\0" + pid + "\0" + startNs)), startNs in decimal ns.
 * A "seen since" instance's start is its first evidence: ingesting older logs into the same
 * database can move it, and its entity id with it.
 */
export function entityId(host: string, pid: number, startNs: bigint): string {
  return createHash('sha256').update(`proc-tree\0${host}\0${pid}\0${startNs}`).digest('base64url').slice(0, 22);
}
