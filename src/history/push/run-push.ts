import { createHash } from 'node:crypto';
import { UserError } from '../../cli/user-error.js';
import type { CopyValue } from '../postgres/pg-copy.js';
import { copyLine } from '../postgres/pg-copy.js';
import { PUSH_COLUMNS, PgPushTarget, type ChangeCandidates, type MaxIds, type PgPushTable } from '../postgres/pg-push-target.js';
import { PushIdMap } from './push-id-map.js';
import { translateResumeState } from './push-resume-state.js';
import { PUSH_TABLES, SqlitePushSnapshot, type PushTable, type StoredRow } from './sqlite-push-snapshot.js';

export interface PushOptions {
  /** The SQLite history file. */
  db: string;
  /** postgres://... */
  to: string;
  /** Name in PostgreSQL of the file's default host (records without node=); default: kept (''). */
  host?: string;
  /** Seconds to wait for a host another writer holds (undefined: refuse at once). */
  waitS?: number;
}

export type RowCounts = Record<PgPushTable, number>;

export interface PushSummary {
  hosts: string[];
  /** Rows written for the first time. */
  added: RowCounts;
  /** Rows of earlier pushes written again because they changed in the file (an end, a fork start, ...). */
  updated: RowCounts;
  /** Whether the resume state was written (it changes with every ingest commit). */
  stateWritten: boolean;
  seconds: number;
}

/**
 * resume_state key of each pushed host in PostgreSQL: which SQLite history it came from
 * and what the last push wrote (ids per table, hash of the resume state). A later push
 * continues from there only if nothing else wrote the host since.
 */
export const PUSH_MARKER_KEY = 'push.origin';

interface PushMarker {
  /**
   * Per table, the parts that never change of the last row pushed (witnessesOf): the
   * same file still holds the same row under that id, another file almost surely not
   * (unless it ingested the same logs in the same order: `origin` tells those apart).
   */
  witness: Record<PgPushTable, string>;
  /** Largest SQLite id pushed per table (0: none). */
  ids: Record<PgPushTable, number>;
  /** sha256 of the host's resume state as pushed (the marker left out). */
  state: string;
  /** originOf the file pushed (absent in markers of older versions, '' from a file with no source yet). */
  origin?: string;
}

const zeroCounts = (): RowCounts => ({ instances: 0, parents: 0, images: 0, losses: 0, sources: 0 });

/**
 * Ships a SQLite history into PostgreSQL so that the central database holds what a direct
 * ingest of the same logs would have stored: rows under deterministic ids (push-id-map.ts),
 * the source registry with its resume offsets and the resume state translated, so a later
 * direct ingest of the same files continues instead of duplicating. Incremental: rows with
 * an id above what the last push wrote are new; of the older ones only those the SQLite
 * writer may still change are compared and rewritten. Everything in one PostgreSQL
 * transaction (a kill -9 mid-push leaves the last push's state; pushing again completes),
 * from one SQLite read snapshot (an ingest into the file may run meanwhile).
 */
export async function runPush(options: PushOptions): Promise<PushSummary> {
  const started = process.hrtime.bigint();
  const snapshot = SqlitePushSnapshot.open(options.db);
  let target: PgPushTarget | undefined;
  try {
    target = await PgPushTarget.open(options.to, options.waitS);
    return await push(snapshot, target, options, started);
  } finally {
    snapshot.close();
    await target?.close();
  }
}

async function push(snapshot: SqlitePushSnapshot, target: PgPushTarget, options: PushOptions, started: bigint): Promise<PushSummary> {
  const where = target.where;
  const names = pgNames(snapshot, options.host);
  const pgHostOf = new Map<number, number>();
  for (const h of snapshot.hosts) pgHostOf.set(h.id, await target.takeHost(names.get(h.id)!));
  const map = new PushIdMap(pgHostOf, snapshot.sources);
  const stateHost = stateHostOf(snapshot);
  const state = translateResumeState(snapshot.state, map);

  const plans: HostPlan[] = [];
  for (const h of snapshot.hosts) {
    const pgHost = pgHostOf.get(h.id)!;
    const name = names.get(h.id)!;
    const pgState = await target.state(pgHost);
    const markerText = pgState.get(PUSH_MARKER_KEY);
    pgState.delete(PUSH_MARKER_KEY);
    const max = await target.maxIds(pgHost);
    const marker = markerText === undefined ? undefined : (JSON.parse(markerText) as PushMarker);
    const renamable = h.name === '';
    checkContinues(where, { name, renamable }, marker, { rows: witnessesOf(snapshot, h.id, marker?.ids), origin: originOf(snapshot) }, max, pgHost, pgState, options.db);
    plans.push({
      sqliteHost: h.id,
      pgHost,
      watermark: marker?.ids ?? zeroCounts(),
      candidates: marker === undefined ? undefined : await target.changeCandidates(pgHost),
      state: h.id === stateHost ? state : new Map(),
      stateChanged: h.id === stateHost && stateHash(state) !== stateHash(pgState),
    });
  }

  const added = zeroCounts();
  const updated = zeroCounts();
  await target.begin();
  try {
    for (const plan of plans) await pushHost(snapshot, target, map, plan, added, updated);
    await target.commit();
  } catch (error) {
    await target.rollback();
    if (error instanceof UserError) throw error;
    throw new UserError(`${where}: push failed: ${(error as Error).message} (nothing of this push is stored; push again)`);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { hosts: snapshot.hosts.map((h) => names.get(h.id)!), added, updated, stateWritten: plans.some((p) => p.stateChanged), seconds };
}

interface HostPlan {
  sqliteHost: number;
  pgHost: number;
  watermark: Record<PgPushTable, number>;
  candidates: ChangeCandidates | undefined;
  state: Map<string, string>;
  stateChanged: boolean;
}

/** Writes one host's new and changed rows, its sources, state and marker (inside the push's transaction). */
async function pushHost(snapshot: SqlitePushSnapshot, target: PgPushTarget, map: PushIdMap, plan: HostPlan, added: RowCounts, updated: RowCounts): Promise<void> {
  const { pgHost, sqliteHost } = plan;
  const ids = { ...plan.watermark };
  const converters = new Map<PgPushTable, (r: StoredRow, pgHost: number) => CopyValue[]>();
  const values = (table: PgPushTable, r: StoredRow): CopyValue[] => {
    let f = converters.get(table);
    if (f === undefined) converters.set(table, (f = map.converter(PUSH_COLUMNS[table])));
    return f(r, pgHost);
  };

  // Sources: few, compared whole.
  const sources = snapshot.sources.filter((s) => Number(s.host_id) === sqliteHost);
  const known = plan.candidates?.sources ?? new Map<number, string>();
  const changedSources = sources.map((s) => values('sources', s)).filter((v) => known.get(Number(v[1])) !== copyLine(v));
  await target.deleteRows('sources', pgHost, changedSources.map((v) => Number(v[1])).filter((id) => known.has(id)));
  await target.copy('sources', changedSources);
  for (const v of changedSources) {
    if (known.has(Number(v[1]))) updated.sources++;
    else added.sources++;
    ids.sources = Math.max(ids.sources, PushIdMap.local(pgHost, Number(v[1])));
  }

  for (const table of PUSH_TABLES) {
    const changed = plan.candidates === undefined ? [] : changedRows(snapshot, table, pgHost, plan.candidates, values);
    await target.deleteRows(table, pgHost, changed.map((v) => Number(v[1])));
    updated[table] += changed.length;
    const after = plan.watermark[table];
    await target.copy(table, (function* () {
      yield* changed;
      for (const r of snapshot.rowsAfter(table, sqliteHost, after)) {
        added[table]++;
        ids[table] = Number(r.id);
        yield values(table, r);
      }
    })());
  }

  const state = new Map(plan.state);
  const marker: PushMarker = { witness: witnessesOf(snapshot, sqliteHost, ids), ids, state: stateHash(plan.state), origin: originOf(snapshot) };
  state.set(PUSH_MARKER_KEY, JSON.stringify(marker));
  await target.replaceState(pgHost, state);
}

/** Candidate rows whose SQLite version differs from what PostgreSQL holds. */
function changedRows(
  snapshot: SqlitePushSnapshot,
  table: (typeof PUSH_TABLES)[number],
  pgHost: number,
  candidates: ChangeCandidates,
  values: (t: PgPushTable, r: StoredRow) => CopyValue[],
): CopyValue[][] {
  if (table !== 'instances' && table !== 'parents') return []; // images and losses are never updated
  const held = candidates[table];
  if (held.size === 0) return [];
  const local = [...held.keys()].map((id) => PushIdMap.local(pgHost, id));
  const out: CopyValue[][] = [];
  for (const r of snapshot.rowsById(table, local)) {
    const v = values(table, r);
    if (held.get(Number(v[1])) !== copyLine(v)) out.push(v);
  }
  return out;
}

/** PostgreSQL host name per SQLite host: the default host takes --host; two hosts may not meet. */
function pgNames(snapshot: SqlitePushSnapshot, host: string | undefined): Map<number, string> {
  const out = new Map<number, string>();
  const seen = new Map<string, string>();
  for (const h of snapshot.hosts) {
    const name = h.name === '' && host !== undefined ? host : h.name;
    const other = seen.get(name);
    if (other !== undefined) throw new UserError(`push: --host ${JSON.stringify(host)} is also the name of a host in the SQLite history: the two histories would be merged`);
    seen.set(name, h.name);
    out.set(h.id, name);
  }
  return out;
}

/** The SQLite host whose ingests wrote the file's resume state: the host of its newest source. */
function stateHostOf(snapshot: SqlitePushSnapshot): number | undefined {
  const newest = snapshot.sources.at(-1);
  return newest === undefined ? snapshot.hosts[0]?.id : Number(newest.host_id);
}

/**
 * The unchanging part of the row with each table's watermark id in this file (instances: host
 * and pid; parents: instance; images, losses: everything; sources: path and first ingest
 * time): '' when the file has no such row. Equal to the marker's: the host in PostgreSQL
 * holds an earlier push of this very file.
 */
function witnessesOf(snapshot: SqlitePushSnapshot, sqliteHost: number, ids: Record<PgPushTable, number> | undefined): Record<PgPushTable, string> {
  const out = { instances: '', parents: '', images: '', losses: '', sources: '' } as Record<PgPushTable, string>;
  if (ids === undefined) return out;
  const one = (table: PushTable, id: number): StoredRow | undefined => (id === 0 ? undefined : snapshot.rowsById(table, [id])[0]);
  const text = (r: StoredRow | undefined, cols: string[] | undefined): string =>
    r === undefined ? '' : JSON.stringify((cols ?? Object.keys(r).filter((k) => k !== 'id')).map((c) => (r[c] === null || r[c] === undefined ? null : String(r[c]))));
  out.instances = text(one('instances', ids.instances), ['host_id', 'pid']);
  out.parents = text(one('parents', ids.parents), ['instance_id']);
  out.images = text(one('images', ids.images), undefined);
  out.losses = text(one('losses', ids.losses), undefined);
  const source = snapshot.sources.find((r) => Number(r.id) === ids.sources && Number(r.host_id) === sqliteHost);
  out.sources = text(source, ['path', 'first_ingest_ns']);
  return out;
}

/**
 * Which SQLite history this is: path and first ingest time (ns) of its first registered
 * source, which no later ingest changes. The row witnesses alone do not tell two files apart
 * that ingested the same logs in the same order: their rows, ids and witnesses are equal
 * (busy-machine-rotation ingested into two files gives host "vm" rows 1..385 in both), and a
 * push of the second continued the first's host, its new rows naming the second file's
 * sources. A copy of the file keeps the origin; a file ingested on its own has another
 * (a clock reading in ns).
 */
function originOf(snapshot: SqlitePushSnapshot): string {
  const first = snapshot.sources[0];
  return first === undefined ? '' : JSON.stringify([String(first.path), String(first.first_ingest_ns)]);
}

function stateHash(state: ReadonlyMap<string, string>): string {
  return createHash('sha256').update(JSON.stringify([...state].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))).digest('hex');
}

/** Refuses a push that would mix histories: the host holds rows from elsewhere, or was written since the last push. */
function checkContinues(
  where: string,
  pushed: { name: string; renamable: boolean },
  marker: PushMarker | undefined,
  mine: { rows: Record<PgPushTable, string>; origin: string },
  max: MaxIds,
  pgHost: number,
  pgState: Map<string, string>,
  db: string,
): void {
  const host = pushed.name === '' ? 'the default host' : `host ${JSON.stringify(pushed.name)}`;
  // push --host names only the file's unnamed default host: a node= host, or one the ingest named, keeps its name.
  const elsewhere = pushed.renamable ? 'under another name (--host NAME) or into another database' : 'into another database (push --host renames only an unnamed default host)';
  if (marker === undefined) {
    const any = Object.values(max).some((v) => v !== null) || pgState.size > 0;
    if (any) throw new UserError(`${where}: ${host} already holds a history that was not pushed from ${db}: push it ${elsewhere}`);
    return;
  }
  const otherOrigin = marker.origin !== undefined && marker.origin !== '' && marker.origin !== mine.origin;
  if (otherOrigin || (Object.keys(mine.rows) as PgPushTable[]).some((t) => marker.witness?.[t] !== mine.rows[t])) {
    throw new UserError(`${where}: ${host} was pushed from another SQLite history: push this one ${elsewhere}`);
  }
  const same = (Object.keys(max) as PgPushTable[]).every((t) => (max[t] === null ? 0 : PushIdMap.local(pgHost, max[t]!)) === marker.ids[t]);
  const sameState = marker.state === stateHash(pgState);
  if (!same || !sameState) {
    throw new UserError(`${where}: ${host} was written by an ingest into PostgreSQL since the last push from ${db}: pushing again would mix two histories (ingest there directly from now on)`);
  }
}
