import { UserError } from '../../cli/user-error.js';
import { GUARD_KEY } from '../../ingest/ingest-session.js';
import { NAMESPACE_KEY, PENDING_KEY } from '../builder-state.js';
import { LAST_RECORD_STATE_KEY } from '../history-types.js';
import type { PushIdMap } from './push-id-map.js';

type Json = Record<string, unknown>;
type Evidence = { src?: number } | undefined;

/**
 * resume_state of a SQLite history rewritten for PostgreSQL: its values name SQLite host
 * ids, instance ids and source ids (the ingest's resume guard, the builder's pending
 * clone3 children and namespace state, each host's last record time). Pushed as they are,
 * a later direct ingest into PostgreSQL of the same files would resume against the wrong
 * rows. Each key the ingest writes is rewritten by its shape; a key push does not know is
 * refused rather than copied with ids it cannot map.
 */
export function translateResumeState(state: ReadonlyMap<string, string>, map: PushIdMap): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of state) {
    const json = JSON.parse(value) as unknown;
    out.set(key, JSON.stringify(translate(key, json, map)));
  }
  return out;
}

function translate(key: string, json: unknown, map: PushIdMap): unknown {
  const ev = (e: Evidence): Evidence => (e?.src === undefined ? e : { ...e, src: map.source(e.src) });
  switch (key) {
    case GUARD_KEY: {
      // { entries: [src, off, key][], lossFloor?: [src, off] }
      const g = json as { entries: [number, number, string][]; lossFloor?: [number, number] };
      const t: Json = { ...g, entries: g.entries.map(([src, off, k]) => [map.source(src), off, k]) };
      if (g.lossFloor !== undefined) t.lossFloor = [map.source(g.lossFloor[0]), g.lossFloor[1]];
      return t;
    }
    case LAST_RECORD_STATE_KEY:
      return byHost(json, map, (_, v) => v);
    case PENDING_KEY:
      // Per host: pending clone3 children, each with its parent's instance and evidence.
      return byHost(json, map, (h, list) =>
        (list as { parentId?: number; evidence?: Evidence }[]).map((p) => ({
          ...p,
          ...(p.parentId === undefined ? {} : { parentId: map.row(h, p.parentId) }),
          ...(p.evidence === undefined ? {} : { evidence: ev(p.evidence) }),
        })),
      );
    case NAMESPACE_KEY:
      // Per host: { nsLocal: instance ids, awaiting: [creator instance id, forks with evidence][] }.
      return byHost(json, map, (h, v) => {
        const s = v as { nsLocal?: number[]; awaiting?: [number, { evidence?: Evidence }[]][] };
        const t: Json = { ...s };
        if (s.nsLocal !== undefined) t.nsLocal = s.nsLocal.map((id) => map.row(h, id));
        if (s.awaiting !== undefined) t.awaiting = s.awaiting.map(([id, q]) => [map.row(h, id), q.map((f) => (f.evidence === undefined ? f : { ...f, evidence: ev(f.evidence) }))]);
        return t;
      });
    default:
      throw new UserError(`push: the SQLite history has resume state '${key}', which this proc-tree cannot translate for PostgreSQL (written by a newer version?)`);
  }
}

/** An object keyed by SQLite host id, re-keyed by PostgreSQL host id. */
function byHost(json: unknown, map: PushIdMap, f: (pgHost: number, v: unknown) => unknown): Json {
  const out: Json = {};
  for (const [hostId, v] of Object.entries(json as Json)) {
    const h = map.pgHost(Number(hostId));
    out[h] = f(h, v);
  }
  return out;
}
