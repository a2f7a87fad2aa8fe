import type { HistoryReader, HistoryStore, ImageMatch } from './history-store.js';
import type { ImageRow, InstanceRow } from './history-types.js';
import { aliveAtEvent, instancesAtEvent } from './alive-at-event.js';
import { commandOf } from './image-at.js';

export interface FindQuery {
  host?: string;
  /** Substring of the executable path, an argument or the task name. */
  cmd?: string;
  /**
   * User name or numeric uid/euid. A name matches images that carry it (ENRICHED logs) and
   * images with only a uid (RAW logs) of a uid it names: 0 for root, else one an ENRICHED
   * image of the same host gave that name.
   */
  user?: string;
  /** Alive at this time ... */
  atNs?: bigint;
  /** With atNs: the time is an audit event id (see AncestryQuery.atSerial). */
  atSerial?: number;
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
  const found = await collect(store, query, hosts, query.user, (_inst, image) => imageMatches(image, query));
  if (query.user !== undefined && !/^\d+$/.test(query.user)) {
    // A name also matches the images that carry only uids (RAW logs, proc connector): by
    // the uids that name had on the same host (ENRICHED images), and root by uid 0 on any.
    const uids = namedUids(found.values(), query.user, hosts);
    for (const uid of new Set([...uids.values()].flatMap((u) => [...u]))) {
      const byUid = (inst: InstanceRow, image: ImageRow) => imageMatches(image, { ...query, user: undefined }) && unnamedUidMatch(image, uids.get(inst.host));
      for (const [id, hit] of await collect(store, query, hosts, String(uid), byUid)) {
        const had = found.get(id);
        if (had === undefined) found.set(id, hit);
        else had.images = [...new Set([...had.images, ...hit.images])].sort((a, b) => (a.sinceNs < b.sinceNs ? -1 : a.sinceNs > b.sinceNs ? 1 : 0));
      }
    }
  }
  const out = [...found.values()].map(({ inst, images }) => foundProcess(inst, images));
  return out.sort((a, b) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : a.pid - b.pid));
}

interface Hit {
  inst: InstanceRow;
  images: ImageRow[];
}

/** Instances with an image that `accept`s, by instance id; `user` goes to the index query (name or uid). */
async function collect(store: HistoryReader, query: FindQuery, hosts: string[], user: string | undefined, accept: (inst: InstanceRow, image: ImageRow) => boolean): Promise<Map<number, Hit>> {
  const match: ImageMatch = {};
  if (query.cmd !== undefined) match.cmdContains = query.cmd;
  if (user !== undefined) match.user = user;
  // At an event id, a process whose end is recorded in that millisecond may still count: ask from 1 ns before.
  const from = query.atNs !== undefined && query.atSerial !== undefined && query.atNs > 0n ? query.atNs - 1n : (query.atNs ?? query.fromNs);
  const to = query.atNs ?? query.toNs;
  // Time first when the question has one: a few thousand alive instances, not every image.
  if (from !== undefined && to !== undefined) match.alive = { fromNs: from, toNs: to };
  const out = new Map<number, Hit>();
  for (const { instance: inst, images: all } of await store.instancesWithImages(await store.instancesWithImage(query.host, match))) {
    if (!hosts.includes(inst.host) || !alive(inst, query)) continue;
    if (query.atNs !== undefined && query.atSerial !== undefined && inst.startNs === query.atNs && !(await heldAtEvent(store, inst, query.atNs, query.atSerial))) continue;
    const images = all.filter((image) => accept(inst, image));
    if (images.length > 0) out.set(inst.id, { inst, images });
  }
  return out;
}

/** uid 0 is root on every Linux host; other names by the uids ENRICHED images gave them, per host. */
function namedUids(hits: Iterable<Hit>, name: string, hosts: string[]): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>(hosts.map((h) => [h, new Set(name === ROOT_NAME ? [0] : [])]));
  for (const { inst, images } of hits) {
    const set = out.get(inst.host);
    if (set === undefined) continue;
    for (const image of images) {
      if (image.user === name && image.uid !== undefined) set.add(image.uid);
      if (image.euser === name && image.euid !== undefined) set.add(image.euid);
    }
  }
  return out;
}

const ROOT_NAME = 'root';

/** An image without a name for that id (a RAW record) whose uid or euid is one of `uids`. */
function unnamedUidMatch(image: ImageRow, uids: Set<number> | undefined): boolean {
  if (uids === undefined) return false;
  return (image.user === undefined && image.uid !== undefined && uids.has(image.uid)) || (image.euser === undefined && image.euid !== undefined && uids.has(image.euid));
}

function foundProcess(inst: InstanceRow, images: ImageRow[]): FoundProcess {
  const matches = images.map((image) => {
    const m: FoundProcess['matches'][number] = { sinceNs: image.sinceNs, kind: image.kind, cmd: commandOf(image) };
    if (image.exe !== undefined) m.exe = image.exe;
    if (image.user !== undefined) m.user = image.user;
    if (image.uid !== undefined) m.uid = image.uid;
    return m;
  });
  const found: FoundProcess = { host: inst.host, pid: inst.pid, instanceId: inst.id, startNs: inst.startNs, startKnown: inst.startKnown, matches };
  if (inst.endNs !== undefined) found.endNs = inst.endNs;
  return found;
}

/** A holder of its pid started in the event's millisecond: held it at the event (not yet handed over by an earlier holder). */
async function heldAtEvent(store: HistoryReader, inst: InstanceRow, atNs: bigint, atSerial: number): Promise<boolean> {
  return (await instancesAtEvent(store, inst.host, inst.pid, atNs, atSerial)).some((i) => i.id === inst.id);
}

function alive(inst: InstanceRow, q: FindQuery): boolean {
  if (q.atNs !== undefined && q.atSerial !== undefined) return aliveAtEvent(inst, q.atNs, q.atSerial);
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
