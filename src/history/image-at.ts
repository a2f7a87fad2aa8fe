import type { HistoryReader } from './history-store.js';
import type { ImageRow, InstanceRow } from './history-types.js';

/** How deep to follow creators for an image a forked child inherited. */
const MAX_INHERIT_DEPTH = 64;

/**
 * The image in force for `inst` at `atNs`: its own latest row at or before then, else what
 * it inherited from its creator at fork (a child runs its parent's image until it execs),
 * else the first thing seen of a pre-existing process. `atSerial`: the time is an audit
 * event id (see HistoryReader.ownImageAt).
 */
export async function imageAt(store: HistoryReader, inst: InstanceRow, atNs: bigint, atSerial?: number): Promise<ImageRow | undefined> {
  return imageFrom(store, inst, atNs, await store.ownImageAt(inst.id, atNs, atSerial));
}

/**
 * `imageAt` when the caller already read `ownImageAt(inst.id, atNs)` and, perhaps, the
 * creator's own image at the fork (`ownImageAt(inst.creatorId, inst.startNs)`), e.g. with
 * the whole chain in one statement.
 */
export async function imageFrom(store: HistoryReader, inst: InstanceRow, atNs: bigint, ownImage: ImageRow | undefined, creatorImage?: ImageRow): Promise<ImageRow | undefined> {
  if (ownImage === undefined && inst.creatorId !== undefined && creatorImage !== undefined) return creatorImage;
  let current: InstanceRow | undefined = inst;
  let child: InstanceRow | undefined;
  let at = atNs;
  for (let depth = 0; current !== undefined && depth < MAX_INHERIT_DEPTH; depth++) {
    let own = depth === 0 ? ownImage : await store.ownImageAt(current.id, at);
    if (own !== undefined && child !== undefined && own.sinceNs === at) {
      // The creator exec'd in the millisecond of the fork: the audit serials say which came
      // first (a shell that forked, then exec'd, gave its child the old image).
      const forkSerial = auditSerialOf((child.startEvidence ?? (await store.instance(child.id))?.startEvidence)?.id);
      if (forkSerial !== undefined) own = await store.ownImageAt(current.id, at, forkSerial);
    }
    if (own !== undefined) return own;
    if (current.creatorId === undefined) {
      // Pre-existing process whose image was recorded only after `at`: what it was seen
      // running is the best we have (it ran that since its last exec, time unknown).
      const first = (await store.images(current.id))[0];
      return first?.kind === 'seen' ? first : undefined;
    }
    at = current.startNs;
    child = current;
    current = await store.instance(current.creatorId);
  }
  return undefined;
}

/** The serial of an audit record id `SECONDS.MS:SERIAL`, undefined for other ids. */
export function auditSerialOf(id: string | undefined): number | undefined {
  const m = id === undefined ? null : /:(\d+)$/.exec(id);
  return m ? Number(m[1]) : undefined;
}

/** A command line for people: argv joined, else the kernel task name. */
export function commandOf(image: ImageRow | undefined): string {
  if (image === undefined) return '';
  if (image.argv !== undefined && image.argv.length > 0) return image.argv.join(' ') + (image.argvTruncated ? ' ...' : '');
  return image.comm ?? image.exe ?? '';
}
