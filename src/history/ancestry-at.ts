import { formatTimeNs } from '../time/format-time.js';
import { aliveAtEvent, handoverNote, instancesAtEvent, pidAliveOn } from './alive-at-event.js';
import type { ChainRow, HistoryReader, HistoryStore } from './history-store.js';
import type { ImageRow, InstanceRow } from './history-types.js';
import { commandOf, imageFrom } from './image-at.js';
import { lossesNote, mayHaveEndedNote, overlapNote, parentRowNotes, sameInstantExecNote } from './link-notes.js';
import { INIT_PID, initFromBootNote, initSeenLater, outsideHistory, withinHistory } from './history-span.js';
import { noProcessAtTime } from './query-errors.js';
import { atText, choosePidHost, type HostChoice } from './resolve-host.js';

export type Lineage = 'parent' | 'creator';

export interface AncestryQuery {
  /** Undefined: the only host, or the one host where the pid has an instance. */
  host?: string;
  pid: number;
  atNs: bigint;
  /**
   * The time is an audit event id (`audit(SECONDS.MS:SERIAL)`): its serial orders the
   * records of the same millisecond, so an exec recorded by a later event is not in force yet.
   */
  atSerial?: number;
  /** `parent` (default): the kernel parent at that time, what /proc showed; `creator`: who forked each. */
  lineage?: Lineage;
}

/** One process of the chain, as it was at the query time. */
export interface AncestryLink {
  pid: number;
  /** Parent pid at the time (creator's pid for lineage `creator`); undefined when unknown. */
  ppid?: number;
  instanceId?: number;
  startNs?: bigint;
  /** False: the process existed before its first record; `startNs` is "seen since". */
  startKnown: boolean;
  endNs?: bigint;
  cmd: string;
  exe?: string;
  argv?: string[];
  comm?: string;
  user?: string;
  uid?: number;
  /** Why this link (or the step to its parent) is uncertain. */
  notes: string[];
}

export interface AncestryResult {
  host: string;
  pid: number;
  atNs: bigint;
  lineage: Lineage;
  /** Self first, then each parent up to the root (pid 1, or where evidence ends). */
  chain: AncestryLink[];
  /** True when a parent link rests on weak evidence or events may be missing. */
  uncertain: boolean;
  /** True when the chain reaches the root (pid 1, or a process whose parent is 0). */
  complete: boolean;
  /** The time is before the first or after the last record of the host's history (a note says which; `uncertain`). */
  outsideHistory?: 'before' | 'after';
  notes: string[];
  /** How the host was chosen, on a history of several hosts (the text answer names it). */
  hostChoice?: HostChoice;
}

const MAX_CHAIN = 256;

/**
 * The ancestry of `pid` at `atNs`: the instance of pid alive then (a known start preferred
 * over "seen since"), then repeatedly its parent at that time and that parent's instance
 * alive then. Throws NoProcessAtTimeError when no instance of pid was alive at `atNs`.
 */
export function ancestryAt(store: HistoryStore, query: AncestryQuery): Promise<AncestryResult> {
  return store.read((reader) => ancestryAtInSnapshot(reader, query));
}

/** `ancestryAt` inside a caller's `read` (several queries on one snapshot). */
export async function ancestryAtInSnapshot(store: HistoryReader, query: AncestryQuery): Promise<AncestryResult> {
  const { pid, atNs } = query;
  const lineage = query.lineage ?? 'parent';
  const choice = await choosePidHost(store, query.host, pid, {
    text: atText(atNs),
    aliveOn: (h) => pidAliveOn(store, h, pid, atNs, query.atSerial),
  });
  const host = choice.host;
  const candidates = await instancesAtEvent(store, host, pid, atNs, query.atSerial);
  const result: AncestryResult = { host, pid, atNs, lineage, chain: [], uncertain: false, complete: false, notes: [], ...(choice.several ? { hostChoice: choice } : {}) };
  const uncertain = (note: string, link?: AncestryLink): void => {
    result.uncertain = true;
    (link?.notes ?? result.notes).push(note);
  };
  let self = candidates[0];
  if (self === undefined && pid === INIT_PID && (await withinHistory(store, host, atNs))) {
    // init runs from boot to shutdown: within the history it was there, recorded or not.
    self = await initSeenLater(store, host, atNs);
    if (self === undefined) {
      result.chain.push(unrecordedInit());
      result.complete = true;
      return result;
    }
  }
  if (self === undefined) throw await noProcessAtTime(store, host, pid, atNs, query.host ?? (choice.several ? host : undefined));
  if (candidates.length > 1) uncertain(overlapNote(pid, candidates));
  const handover = query.atSerial === undefined && candidates[0] === self ? await handoverNote(store, self, atNs) : undefined;
  if (handover !== undefined) uncertain(handover);

  const links = new ChainLinks(store, atNs, lineage, query.atSerial);
  const seen = new Set<number>();
  let current: InstanceRow | undefined = self;
  while (current !== undefined && result.chain.length < MAX_CHAIN) {
    if (seen.has(current.id)) {
      uncertain(`cycle in the recorded parents at pid ${current.pid}: the chain stops here`);
      break;
    }
    seen.add(current.id);
    const row = await links.of(current);
    const image = await imageFrom(store, current, atNs, row.image, row.creatorImage);
    const link = linkOf(current, image);
    if (current.pid === INIT_PID && !current.startKnown) link.notes.push(initFromBootNote(current));
    result.chain.push(link);
    if (result.chain.length > 1) {
      const note = await sameInstantExecNote(store, current, image, atNs, query.atSerial);
      if (note !== undefined) uncertain(note, link);
    }
    if (current.endCertainty === 'inferred' && current.endNs !== undefined && current.endNs > atNs) {
      // Gone by endNs without an exit record (killed?): it may already have been dead at
      // atNs, and its children reparented, if atNs is after the last sign of life.
      const child = result.chain.length > 1 && lineage === 'parent' ? result.chain[result.chain.length - 2] : undefined;
      const note = await mayHaveEndedNote(store, current, atNs, child?.instanceId === undefined ? undefined : { pid: child.pid, instanceId: child.instanceId });
      if (note !== undefined) uncertain(note, link);
    }
    const step: Step = lineage === 'parent' ? await parentStep(store, links, host, current, row, atNs) : await creatorStep(store, links, current);
    if (step.ppid !== undefined) link.ppid = step.ppid;
    else if (current.pid === INIT_PID) link.ppid = 0; // init's parent is the kernel, recorded or not
    for (const note of step.notes) uncertain(note, link);
    if (step.parent === undefined) {
      if (step.ppid === 0 || (current.pid === 1 && step.ppid === undefined)) result.complete = true;
      // A chain that stops short of init is as doubtful as a weak link: say so (UNCERTAIN).
      else if (step.ppid === undefined) uncertain(`chain ends at pid ${current.pid}: no record names its parent`);
      if (step.missingPid === INIT_PID) {
        // pid 1 runs from boot to shutdown (the kernel panics when it exits), so a log that
        // never names it still proves it was there: the chain is complete, not uncertain.
        result.chain.push(unrecordedInit());
        result.complete = true;
      } else if (step.missingPid !== undefined) {
        // The parent pid is known but no record shows that process at the time.
        result.chain.push({ pid: step.missingPid, startKnown: false, cmd: '', notes: [`no record of pid ${step.missingPid} alive at ${formatTimeNs(atNs)}`] });
        result.uncertain = true;
      }
      break;
    }
    current = step.parent;
  }
  await addLossNotes(store, host, result, atNs, uncertain);
  // A process of the chain that ended after atNs proves the history goes on past it.
  const outside = await outsideHistory(store, host, atNs, result.chain.some((l) => l.endNs !== undefined && l.endNs > atNs));
  if (outside !== undefined) {
    result.outsideHistory = outside.side;
    uncertain(outside.note);
  }
  return result;
}

/** pid 1 when no record in the log shows it: it was there all the same (see INIT_PID). */
function unrecordedInit(): AncestryLink {
  return { pid: INIT_PID, ppid: 0, startKnown: false, cmd: '', notes: ['init: runs from boot; no record in the log names its command'] };
}

/**
 * The chain's rows, read ahead: `of(inst)` answers from the rows of one `chainAt` read and
 * starts a new read only where ancestryAt stepped somewhere the read did not follow (a
 * parent found by pid rather than by its recorded instance). One statement per chain in the
 * common case instead of several per link.
 */
class ChainLinks {
  private readonly rows = new Map<number, ChainRow>();

  constructor(
    private readonly store: HistoryReader,
    private readonly atNs: bigint,
    private readonly lineage: Lineage,
    private readonly atSerial: number | undefined,
  ) {}

  async of(inst: InstanceRow): Promise<ChainRow> {
    let row = this.rows.get(inst.id);
    if (row === undefined) {
      for (const r of await this.store.chainAt(inst.id, this.atNs, this.lineage, this.atSerial)) if (!this.rows.has(r.instance.id)) this.rows.set(r.instance.id, r);
      row = this.rows.get(inst.id) ?? { instance: inst };
    }
    return row;
  }

  /** Alive at the query time, an end recorded by the query's event or a later one included. */
  alive(inst: InstanceRow): boolean {
    return aliveAtEvent(inst, this.atNs, this.atSerial);
  }

  /** Alive instances of pid at the query time (see instancesAtEvent). */
  instancesAt(host: string, pid: number): Promise<InstanceRow[]> {
    return instancesAtEvent(this.store, host, pid, this.atNs, this.atSerial);
  }

  /** An instance by id: from the rows read ahead, else from the store. */
  async instance(id: number): Promise<InstanceRow | undefined> {
    return this.rows.get(id)?.instance ?? this.store.instance(id);
  }
}

function linkOf(inst: InstanceRow, image: ImageRow | undefined): AncestryLink {
  const link: AncestryLink = { pid: inst.pid, instanceId: inst.id, startNs: inst.startNs, startKnown: inst.startKnown, cmd: commandOf(image), notes: [] };
  if (inst.endNs !== undefined) link.endNs = inst.endNs;
  if (image?.exe !== undefined) link.exe = image.exe;
  if (image?.argv !== undefined) link.argv = image.argv;
  if (image?.comm !== undefined) link.comm = image.comm;
  if (image?.user !== undefined) link.user = image.user;
  if (image?.uid !== undefined) link.uid = image.uid;
  if (!inst.startKnown) link.notes.push(`started before its first record (seen since ${formatTimeNs(inst.startNs)})`);
  return link;
}

interface Step {
  ppid?: number;
  parent?: InstanceRow;
  /** Parent pid with no instance alive at the time. */
  missingPid?: number;
  notes: string[];
}

async function parentStep(store: HistoryReader, links: ChainLinks, host: string, inst: InstanceRow, chainRow: ChainRow, atNs: bigint): Promise<Step> {
  const row = chainRow.parent;
  if (row === undefined) {
    return inst.pid === INIT_PID ? { ppid: 0, notes: [] } : { notes: [] };
  }
  // init's parent is always the kernel: when its record comes later, that is no doubt.
  if (inst.pid === INIT_PID && row.ppid === 0) return { ppid: 0, notes: [] };
  const notes = parentRowNotes(inst, row, atNs);
  if (row.ppid === 0) return { ppid: 0, notes };
  // The recorded parent instance, never another holder of the same pid: when it is not
  // alive then, the child was orphaned and a later holder of that pid is not its parent.
  if (row.parentId !== undefined) {
    const recorded = await links.instance(row.parentId);
    if (recorded !== undefined && links.alive(recorded)) return { ppid: row.ppid, parent: recorded, notes };
  }
  const alive = await links.instancesAt(host, row.ppid);
  const parent = row.parentId !== undefined ? alive.find((i) => i.id === row.parentId) : alive[0];
  if (parent === undefined && row.ppid === INIT_PID && alive.length === 0) {
    // init seen only later in the log is the same process (it runs from boot).
    const init = await initSeenLater(store, host, atNs);
    if (init !== undefined) return { ppid: INIT_PID, parent: init, notes };
  }
  if (parent === undefined) {
    if (row.parentId !== undefined && alive.length > 0) notes.push(`the recorded parent (pid ${row.ppid}) had ended by then; pid ${row.ppid} was held by another process`);
    return { ppid: row.ppid, missingPid: row.ppid, notes };
  }
  if (alive.length > 1) notes.push(overlapNote(row.ppid, alive));
  return { ppid: row.ppid, parent, notes };
}

async function creatorStep(store: HistoryReader, links: ChainLinks, inst: InstanceRow): Promise<Step> {
  if (inst.creatorId !== undefined) {
    const parent = await links.instance(inst.creatorId);
    if (parent !== undefined) return { ppid: parent.pid, parent, notes: [] };
  }
  if (inst.creatorPid !== undefined) return { ppid: inst.creatorPid, missingPid: inst.creatorPid, notes: [] };
  // Pre-existing: its creator was never recorded; the first parent seen is the best guess.
  const first = (await store.parents(inst.id))[0];
  if (first === undefined || first.ppid === 0) return { notes: first === undefined && inst.pid !== 1 ? [`creator of pid ${inst.pid} unknown`] : [] };
  const note = `creator of pid ${inst.pid} not recorded (started before the log): following its first known parent`;
  const parent = first.parentId !== undefined ? await store.instance(first.parentId) : undefined;
  return parent === undefined ? { ppid: first.ppid, missingPid: first.ppid, notes: [note] } : { ppid: first.ppid, parent, notes: [note] };
}

async function addLossNotes(store: HistoryReader, host: string, result: AncestryResult, atNs: bigint, uncertain: (note: string) => void): Promise<void> {
  let from = atNs;
  for (const link of result.chain) if (link.startNs !== undefined && link.startNs < from) from = link.startNs;
  const note = lossesNote(await store.lossesBetween(host, from, atNs));
  if (note !== undefined) uncertain(note);
}
