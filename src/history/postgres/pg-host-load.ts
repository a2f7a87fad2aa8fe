import type pg from 'pg';
import type { ImageFields, LastInstance, OpenInstance } from '../history-writer.js';
import { nextIdAfter } from './pg-id-ranges.js';
import { imageFieldsOfRow } from '../image-fields.js';

/** A parent row in brief: what parentSummary and setFirstParentFromFork need. */
export interface ParentBrief {
  id: number;
  sinceNs: bigint;
  ppid: number;
}

/** What the writer of a host needs from the rows earlier runs stored (read once, when it takes the host). */
export interface LoadedHost {
  nextIds: { nextInstance: number; nextParent: number; nextImage: number; nextLoss: number };
  /** Per pid, its newest two instances (newest first). */
  last: Map<number, LastInstance[]>;
  open: OpenInstance[];
  /** Parent rows of the "seen since" instances among `last` and `open`. */
  parents: Map<number, ParentBrief[]>;
  /** resume_state rows of the host. */
  state: Map<string, string>;
}

/** How deep to follow creators to find the image a forked child inherited (as the SQLite writer). */
const MAX_INHERIT_DEPTH = 64;

type Row = Record<string, unknown>;
const num = (v: unknown): number | undefined => (v === null || v === undefined ? undefined : Number(v));

/** Reads what the host's writer needs (call under the host's writer lock, so nothing changes meanwhile). */
export async function loadHost(client: pg.Client, hostId: number): Promise<LoadedHost> {
  const max = await client.query(
    `SELECT (SELECT max(id) FROM instances WHERE host_id = $1) AS i, (SELECT max(id) FROM parents WHERE host_id = $1) AS p,
            (SELECT max(id) FROM images WHERE host_id = $1) AS m, (SELECT max(id) FROM losses WHERE host_id = $1) AS l`,
    [hostId],
  );
  const m = max.rows[0]!;
  const next = (v: unknown): number => nextIdAfter(hostId, v === null ? null : Number(v));
  const nextIds = { nextInstance: next(m.i), nextParent: next(m.p), nextImage: next(m.m), nextLoss: next(m.l) };

  const last = new Map<number, LastInstance[]>();
  const seenSince = new Set<number>();
  const lastRows = await client.query(
    `SELECT id, pid, start_ns, start_known, end_ns, end_certainty FROM (
       SELECT id, pid, start_ns, start_known, end_ns, end_certainty,
              row_number() OVER (PARTITION BY pid ORDER BY start_ns DESC, id DESC) AS rank
       FROM instances WHERE host_id = $1) newest
     WHERE rank <= 2 ORDER BY pid, rank`,
    [hostId],
  );
  for (const r of lastRows.rows) {
    const l: LastInstance = { id: Number(r.id), startNs: BigInt(r.start_ns as string), startKnown: r.start_known === true };
    if (r.end_ns !== null) l.endNs = BigInt(r.end_ns as string);
    if (r.end_certainty !== null) l.endCertainty = r.end_certainty as LastInstance['endCertainty'];
    const pid = Number(r.pid);
    const list = last.get(pid);
    if (list === undefined) last.set(pid, [l]);
    else list.push(l);
    if (!l.startKnown) seenSince.add(l.id);
  }

  const open = await openInstances(client, hostId);
  for (const o of open) if (!o.startKnown) seenSince.add(o.id);

  const parents = new Map<number, ParentBrief[]>();
  for (const id of seenSince) parents.set(id, []);
  if (seenSince.size > 0) {
    const { rows } = await client.query('SELECT instance_id, id, since_ns, ppid FROM parents WHERE host_id = $1 AND instance_id = ANY($2::bigint[]) ORDER BY id', [hostId, [...seenSince]]);
    for (const r of rows) parents.get(Number(r.instance_id))!.push({ id: Number(r.id), sinceNs: BigInt(r.since_ns as string), ppid: Number(r.ppid) });
  }

  const state = new Map<string, string>();
  for (const r of (await client.query('SELECT key, value FROM resume_state WHERE host_id = $1', [hostId])).rows) state.set(String(r.key), String(r.value));
  return { nextIds, last, open, parents, state };
}

/** Instances without an end, with their latest parent row and the image in force (as SqliteHistoryWriter.openInstances). */
async function openInstances(client: pg.Client, hostId: number): Promise<OpenInstance[]> {
  const { rows } = await client.query(
    `SELECT i.id, i.pid, i.start_ns, i.start_known, i.creator_id, p.id AS parent_row, p.ppid, p.parent_id, p.kind, img.*
     FROM instances i
     LEFT JOIN LATERAL (SELECT id, ppid, parent_id, kind FROM parents
                        WHERE host_id = i.host_id AND instance_id = i.id ORDER BY since_ns DESC, id DESC LIMIT 1) p ON true
     LEFT JOIN LATERAL (SELECT id AS image_row, exe, argv, argv_truncated, comm, cwd, uid, euid, gid, auid, "user", euser FROM images
                        WHERE host_id = i.host_id AND instance_id = i.id ORDER BY id DESC LIMIT 1) img ON true
     WHERE i.host_id = $1 AND i.end_ns IS NULL ORDER BY i.id`,
    [hostId],
  );
  const out: OpenInstance[] = [];
  for (const r of rows) {
    const o: OpenInstance = { id: Number(r.id), hostId, pid: Number(r.pid), startNs: BigInt(r.start_ns as string), startKnown: r.start_known === true };
    const creator = num(r.creator_id);
    if (creator !== undefined) o.creatorId = creator;
    if (r.parent_row !== null) {
      o.ppid = Number(r.ppid);
      if (r.parent_id !== null) o.parentId = Number(r.parent_id);
      if (r.kind === 'orphaned') o.orphanRowId = Number(r.parent_row);
    }
    const image = r.image_row !== null ? imageFieldsOfRow(r) : await inheritedImage(client, hostId, r);
    if (image !== undefined) o.image = image;
    out.push(o);
  }
  return out;
}

/** What a child that never exec'd runs: its creator's image at the fork, following creators up. */
async function inheritedImage(client: pg.Client, hostId: number, inst: Row): Promise<ImageFields | undefined> {
  let at = BigInt(inst.start_ns as string);
  let current = num(inst.creator_id);
  for (let depth = 1; current !== undefined && depth < MAX_INHERIT_DEPTH; depth++) {
    const { rows } = await client.query(
      `SELECT img.*, i.start_ns, i.creator_id FROM instances i
       LEFT JOIN LATERAL (SELECT id AS image_row, exe, argv, argv_truncated, comm, cwd, uid, euid, gid, auid, "user", euser FROM images
                          WHERE host_id = i.host_id AND instance_id = i.id AND since_ns <= $3 ORDER BY since_ns DESC, id DESC LIMIT 1) img ON true
       WHERE i.host_id = $1 AND i.id = $2`,
      [hostId, current, at.toString()],
    );
    const r = rows[0];
    if (r === undefined) return undefined;
    if (r.image_row !== null) return imageFieldsOfRow(r);
    at = BigInt(r.start_ns as string);
    current = num(r.creator_id);
  }
  return undefined;
}

