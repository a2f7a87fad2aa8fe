import type { HistoryReader, HistoryStore, ImageMatch } from './history-store.js';
import type { ImageRow, InstanceRow } from './history-types.js';
import { commandOf } from './image-at.js';

export interface FindQuery {
  host?: string;
  /** Substring of the executable path, an argument or the task name. */
  cmd?: string;
  /** User name or numeric uid. */
  user?: string;
  /** Alive at this time ... */
  atNs?: bigint;
  /** ... or alive at some point of [fromNs, toNs]. Neither: any time. */
  fromNs?: bigint;
  toNs?: bigint;
}

export interface FoundProcess {
  host: string;
  pid: number;
  instanceId: number;
  startNs: bigint;
  startKnown: boolean;
  endNs?: bigint;
  /** The matching image rows (what it ran, as whom, since when). */
  matches: { sinceNs: bigint; kind: ImageRow['kind']; cmd: string; exe?: string; user?: string; uid?: number }[];
}

/**
 * Processes that ran a command or ran as a user. Only images the process itself had
 * (exec, first sighting, credential change) match: a forked child that never exec'd
 * inherits its parent's image and is found through the parent (see descendants).
 */
export function findProcesses(store: HistoryStore, query: FindQuery): Promise<FoundProcess[]> {
  return store.read((reader) => findProcessesInSnapshot(reader, query));
}

/** `findProcesses` inside a caller's `read` (several queries on one snapshot). */
export async function findProcessesInSnapshot(store: HistoryReader, query: FindQuery): Promise<FoundProcess[]> {
  const hosts = query.host !== undefined ? [query.host] : await store.hosts();
  const out: FoundProcess[] = [];
  const match: ImageMatch = {};
  if (query.cmd !== undefined) match.cmdContains = query.cmd;
  if (query.user !== undefined) match.user = query.user;
  const from = query.atNs ?? query.fromNs;
  const to = query.atNs ?? query.toNs;
  // Time first when the question has one: a few thousand alive instances, not every image.
  if (from !== undefined && to !== undefined) match.alive = { fromNs: from, toNs: to };
  for (const id of await store.instancesWithImage(query.host, match)) {
    const inst = await store.instance(id);
    if (inst === undefined || !hosts.includes(inst.host) || !alive(inst, query)) continue;
    const matches = (await store.images(id))
      .filter((image) => imageMatches(image, query))
      .map((image) => {
        const m: FoundProcess['matches'][number] = { sinceNs: image.sinceNs, kind: image.kind, cmd: commandOf(image) };
        if (image.exe !== undefined) m.exe = image.exe;
        if (image.user !== undefined) m.user = image.user;
        if (image.uid !== undefined) m.uid = image.uid;
        return m;
      });
    const found: FoundProcess = { host: inst.host, pid: inst.pid, instanceId: inst.id, startNs: inst.startNs, startKnown: inst.startKnown, matches };
    if (inst.endNs !== undefined) found.endNs = inst.endNs;
    out.push(found);
  }
  return out.sort((a, b) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : a.pid - b.pid));
}

function alive(inst: InstanceRow, q: FindQuery): boolean {
  const from = q.atNs ?? q.fromNs;
  const to = q.atNs ?? q.toNs;
  if (from !== undefined && inst.endNs !== undefined && (q.atNs !== undefined ? inst.endNs <= from : inst.endNs < from)) return false;
  if (to !== undefined && inst.startNs > to) return false;
  return true;
}

function imageMatches(image: ImageRow, q: FindQuery): boolean {
  if (q.cmd !== undefined) {
    const hit = (image.exe?.includes(q.cmd) ?? false) || (image.comm?.includes(q.cmd) ?? false) || (image.argv?.some((a) => a.includes(q.cmd!)) ?? false) || (image.argv?.join(' ').includes(q.cmd) ?? false);
    if (!hit) return false;
  }
  if (q.user !== undefined) {
    const hit = /^\d+$/.test(q.user) ? image.uid === Number(q.user) || image.euid === Number(q.user) : image.user === q.user || image.euser === q.user;
    if (!hit) return false;
  }
  return true;
}
