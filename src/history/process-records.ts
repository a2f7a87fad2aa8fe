import type { HistoryRecordsReader, InstanceCursor, TimeWindow } from './history-records.js';
import type { ImageRow, InstanceRow, ParentRow, StoredEvidence } from './history-types.js';
import { auditSerialOf } from './image-at.js';
import { MinHeap } from './min-heap.js';

/**
 * What happened to a process instance at one time, with its state right after: the unit
 * `export` renders (ECS, Timesketch, CSV) and the report will too.
 * - fork: started by a fork record; seen: first evidence of a process that existed before
 * - exec: new image (`previousImage` is the one it replaced); credential-change, comm-change,
 *   observed (a later record showed the image): other image rows
 * - reparent: a new parent (`parent.kind` says how it is known)
 * - exit: exit record; gone: the end was inferred (`instance.endReason`)
 */
export type ProcessAction = 'fork' | 'seen' | 'exec' | 'credential-change' | 'comm-change' | 'observed' | 'reparent' | 'exit' | 'gone';

export interface ProcessRecord {
  action: ProcessAction;
  timeNs: bigint;
  instance: InstanceRow;
  /** The parent row in force right after this record. */
  parent?: ParentRow;
  /** The instance `parent.parentId` names (its identity for entity ids). */
  parentInstance?: InstanceRow;
  /** The instance that forked this one. */
  creatorInstance?: InstanceRow;
  /** The image in force right after this record. */
  image?: ImageRow;
  /** The image is the creator's at fork: the child has not exec'd (yet). */
  imageInherited: boolean;
  /** exec: the image in force before it. */
  previousImage?: ImageRow;
  evidence?: StoredEvidence;
}

export interface ProcessRecordsQuery {
  host: string;
  window?: TimeWindow;
  /** Instances read per page (default 1000). */
  pageSize?: number;
}

/** Instances whose images are kept for their children's inherited image (LRU). */
const CACHED_INSTANCES = 32_768;
/** How far a chain of never-exec'd forks is followed for an inherited image. */
const MAX_INHERIT_DEPTH = 64;

/** Ties at one time: a start before a parent change before an image before an end. */
const RANK: Record<ProcessAction, number> = { fork: 0, seen: 0, reparent: 1, exec: 2, 'credential-change': 2, 'comm-change': 2, observed: 2, exit: 3, gone: 3 };

interface Pending {
  record: ProcessRecord;
  /** Order time: never before the instance's start (a record cannot precede its process). */
  orderNs: bigint;
  /** Audit serial of its record (see orderSerial): orders the records of one millisecond. */
  serial: number;
  rank: number;
  seq: number;
}

/** A record without an audit serial, after those with one at the same time (a total order). */
const NO_SERIAL = Number.MAX_SAFE_INTEGER;

const less = (a: Pending, b: Pending): boolean =>
  a.orderNs !== b.orderNs
    ? a.orderNs < b.orderNs
    : a.serial !== b.serial
      ? a.serial < b.serial
      : a.rank !== b.rank
        ? a.rank < b.rank
        : a.record.instance.id !== b.record.instance.id
          ? a.record.instance.id < b.record.instance.id
          : a.seq < b.seq;

/**
 * Audit stamps milliseconds; the serial orders the events of one (pid-reuse capture: at
 * .820 pid 1296 exits at serial 28631, its parent 1297 at 28632, and the next pid 1297 is
 * forked at 28633; by time and action alone the new 1297's fork came first). A record in
 * its instance's start millisecond is never ordered before the start: the clone record is
 * written when clone returns in the parent, often after the child's first records.
 */
function orderSerial(record: ProcessRecord, orderNs: bigint): number {
  const own = auditSerialOf(record.evidence?.id);
  if (own === undefined) return NO_SERIAL;
  const start = orderNs === record.instance.startNs ? auditSerialOf(record.instance.startEvidence?.id) : undefined;
  return start !== undefined && start > own ? start : own;
}

interface KnownInstance {
  instance: InstanceRow;
  images: ImageRow[];
  /** The image in force at its start (own, inherited from the creator, or first seen). */
  startImage?: ImageRow;
}

/**
 * Every process record of `host` in time order (then audit serial, rank, instance id), streaming: one
 * page of instances at a time in start order; a record waits in a heap until no instance
 * still to come can start before it, so memory holds what is alive, not the history.
 * Byte-identical input gives the identical sequence (every tie has an order).
 */
export async function* processRecords(reader: HistoryRecordsReader, query: ProcessRecordsQuery): AsyncGenerator<ProcessRecord> {
  const window = query.window ?? {};
  const pageSize = query.pageSize ?? 1000;
  const known = new InstanceCache(reader);
  const heap = new MinHeap<Pending>(less);
  const inWindow = (t: bigint) => (window.fromNs === undefined || t >= window.fromNs) && (window.toNs === undefined || t <= window.toNs);
  let seq = 0;
  let cursor: InstanceCursor | undefined;
  for (;;) {
    const page = await reader.instancesByStart(query.host, window, cursor, pageSize);
    if (page.length === 0) break;
    const ids = page.map((i) => i.id);
    const [parents, images] = await Promise.all([reader.parentsOf(ids), reader.imagesOf(ids)]);
    const parentsBy = groupBy(parents);
    const imagesBy = groupBy(images);
    await known.prefetch([...parents.map((p) => p.parentId), ...page.map((i) => i.creatorId)]);
    for (const inst of page) {
      while (heap.size > 0 && heap.peek()!.orderNs < inst.startNs) yield heap.pop()!.record;
      const own = imagesBy.get(inst.id) ?? [];
      const startImage = await known.startImageOf(inst, own);
      known.add({ instance: inst, images: own, ...(startImage !== undefined ? { startImage } : {}) });
      for (const record of await recordsOf(inst, parentsBy.get(inst.id) ?? [], own, startImage, known)) {
        if (!inWindow(record.timeNs)) continue;
        const orderNs = record.timeNs < inst.startNs ? inst.startNs : record.timeNs;
        heap.push({ record, orderNs, serial: orderSerial(record, orderNs), rank: RANK[record.action], seq: seq++ });
      }
    }
    const last = page[page.length - 1]!;
    cursor = { startNs: last.startNs, id: last.id };
    if (page.length < pageSize) break;
  }
  while (heap.size > 0) yield heap.pop()!.record;
}

function groupBy<T extends { instanceId: number }>(rows: T[]): Map<number, T[]> {
  const out = new Map<number, T[]>();
  for (const r of rows) {
    let list = out.get(r.instanceId);
    if (list === undefined) out.set(r.instanceId, (list = []));
    list.push(r);
  }
  return out;
}

/** The latest row at or before `atNs` (rows sorted by time), else undefined. */
function latestAt<T extends { sinceNs: bigint }>(rows: T[], atNs: bigint): T | undefined {
  let found: T | undefined;
  for (const r of rows) {
    if (r.sinceNs > atNs) break;
    found = r;
  }
  return found;
}

/** One instance's records, its state carried from record to record (ties: start, parent, image, end). */
async function recordsOf(inst: InstanceRow, parents: ParentRow[], images: ImageRow[], startImage: ImageRow | undefined, known: InstanceCache): Promise<ProcessRecord[]> {
  type Step = { action: ProcessAction; timeNs: bigint; evidence?: StoredEvidence; parent?: ParentRow; image?: ImageRow };
  const steps: Step[] = [{ action: inst.startKnown ? 'fork' : 'seen', timeNs: inst.startNs, ...ev(inst.startEvidence) }];
  for (const p of parents.slice(1)) steps.push({ action: 'reparent', timeNs: p.sinceNs, parent: p, ...ev(p.evidence) });
  for (const im of images) {
    // What a pre-existing process was first seen running is part of its `seen` record.
    if (!inst.startKnown && im.kind === 'seen' && im.sinceNs <= inst.startNs) continue;
    const action: ProcessAction = im.kind === 'exec' ? 'exec' : im.kind === 'creds' ? 'credential-change' : im.kind === 'comm' ? 'comm-change' : 'observed';
    steps.push({ action, timeNs: im.sinceNs, image: im, ...ev(im.evidence) });
  }
  if (inst.endNs !== undefined) steps.push({ action: inst.endCertainty === 'inferred' ? 'gone' : 'exit', timeNs: inst.endNs, ...ev(inst.endEvidence) });
  // Stable sort: rows of one kind keep their stored order.
  steps.sort((a, b) => (a.timeNs !== b.timeNs ? (a.timeNs < b.timeNs ? -1 : 1) : RANK[a.action] - RANK[b.action]));
  const creatorInstance = inst.creatorId === undefined ? undefined : await known.instance(inst.creatorId);
  let parent = parents[0];
  let image = startImage;
  const out: ProcessRecord[] = [];
  for (const step of steps) {
    const previousImage = image;
    if (step.parent !== undefined) parent = step.parent;
    if (step.image !== undefined) image = step.image;
    const parentInstance = parent?.parentId === undefined ? undefined : await known.instance(parent.parentId);
    out.push({
      action: step.action,
      timeNs: step.timeNs,
      instance: inst,
      ...(parent !== undefined ? { parent } : {}),
      ...(parentInstance !== undefined ? { parentInstance } : {}),
      ...(creatorInstance !== undefined ? { creatorInstance } : {}),
      ...(image !== undefined ? { image } : {}),
      imageInherited: image !== undefined && image.instanceId !== inst.id,
      ...(step.action === 'exec' && previousImage !== undefined ? { previousImage } : {}),
      ...(step.evidence !== undefined ? { evidence: step.evidence } : {}),
    });
  }
  return out;
}

const ev = (evidence: StoredEvidence | undefined): { evidence?: StoredEvidence } => (evidence === undefined ? {} : { evidence });

/** Recently seen instances with their images (LRU), read in batches when missing. */
class InstanceCache {
  private readonly entries = new Map<number, KnownInstance>();

  constructor(private readonly reader: HistoryRecordsReader) {}

  add(entry: KnownInstance): void {
    this.entries.delete(entry.instance.id);
    this.entries.set(entry.instance.id, entry);
    if (this.entries.size > CACHED_INSTANCES) this.entries.delete(this.entries.keys().next().value!);
  }

  private get(id: number): KnownInstance | undefined {
    const entry = this.entries.get(id);
    if (entry !== undefined) {
      this.entries.delete(id);
      this.entries.set(id, entry);
    }
    return entry;
  }

  /** Reads the instances among `ids` not cached yet (parents, creators of a page) in one go. */
  async prefetch(ids: (number | undefined)[]): Promise<void> {
    const missing = [...new Set(ids.filter((id): id is number => id !== undefined && !this.entries.has(id)))];
    if (missing.length === 0) return;
    const [instances, images] = await Promise.all([this.reader.instancesById(missing), this.reader.imagesOf(missing)]);
    const imagesBy = groupBy(images);
    for (const instance of instances) this.add({ instance, images: imagesBy.get(instance.id) ?? [] });
  }

  async instance(id: number): Promise<InstanceRow | undefined> {
    return (await this.entry(id))?.instance;
  }

  private async entry(id: number): Promise<KnownInstance | undefined> {
    const cached = this.get(id);
    if (cached !== undefined) return cached;
    await this.prefetch([id]);
    return this.entries.get(id);
  }

  /** The image `inst` ran at its start: its own row then, else its creator's at the fork, else the first seen. */
  async startImageOf(inst: InstanceRow, own: ImageRow[], depth = 0): Promise<ImageRow | undefined> {
    // A forked child runs its creator's image at the fork; its own rows (an exec in the same
    // millisecond) come after. A pre-existing process: its first row, or what it was first seen running.
    if (!inst.startKnown || inst.creatorId === undefined || depth >= MAX_INHERIT_DEPTH) return latestAt(own, inst.startNs) ?? (own[0]?.kind === 'seen' ? own[0] : undefined);
    const creator = await this.entry(inst.creatorId);
    if (creator === undefined) return undefined;
    return (await this.imageAtFork(creator, inst, depth + 1)) ?? undefined;
  }

  /** The creator's image when it forked `child`: of the same millisecond, only an exec logged before the fork. */
  private async imageAtFork(creator: KnownInstance, child: InstanceRow, depth: number): Promise<ImageRow | undefined> {
    const forkSerial = auditSerialOf(child.startEvidence?.id);
    let own: ImageRow | undefined;
    for (const im of creator.images) {
      if (im.sinceNs > child.startNs) break;
      const serial = auditSerialOf(im.evidence?.id);
      if (im.sinceNs === child.startNs && forkSerial !== undefined && serial !== undefined && serial > forkSerial) break;
      own = im;
    }
    if (own !== undefined) return own;
    if (creator.startImage === undefined && creator.instance.creatorId !== undefined) {
      const startImage = await this.startImageOf(creator.instance, creator.images, depth);
      if (startImage !== undefined) creator.startImage = startImage;
    }
    return creator.startImage ?? (creator.images[0]?.kind === 'seen' ? creator.images[0] : undefined);
  }
}
