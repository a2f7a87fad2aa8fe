/**
 * Row ids of per-host tables are allocated by the host's single writer inside a range of
 * its own: host h owns (h * HOST_ID_SPAN, (h + 1) * HOST_ID_SPAN). Ids only have to be
 * unique per host (host_id is in every key), but disjoint ranges also keep them unique in
 * the whole database, so the builder, which names rows by id alone, never needs the host,
 * and concurrent writers of different hosts never meet. 2^32 rows per host and table;
 * 2^21 hosts keep every id below 2^53 (exact as a JS number).
 */
export const HOST_ID_SPAN = 2 ** 32;
export const MAX_HOST_ID = 2 ** 21 - 1;

export function hostOfId(id: number): number {
  return Math.floor(id / HOST_ID_SPAN);
}

/** The first id after `max` (the host's largest id, or null when it has none). */
export function nextIdAfter(hostId: number, max: number | null): number {
  if (hostId < 1 || hostId > MAX_HOST_ID) throw new Error(`host id ${hostId} outside the id ranges (1..${MAX_HOST_ID})`);
  return max === null ? hostId * HOST_ID_SPAN + 1 : max + 1;
}
