import type { AssembledEvent } from '../../adapters/auditd/reassemble.js';
import type { SourcePosition } from '../events/event-sink.js';
import { ancestryAtInSnapshot, type AncestryLink, type AncestryResult } from '../history/ancestry-at.js';
import type { ImageRow, InstanceRow } from '../history/history-types.js';
import { commandOf, imageFrom } from '../history/image-at.js';
import { formatTimeNs } from '../time/format-time.js';
import type { HistoryReader } from '../history/history-store.js';
import { UserError } from '../cli/user-error.js';
import { NoProcessAtTimeError } from '../history/query-errors.js';
import { hostOfEventPid } from '../history/resolve-host.js';
import { ChainReuse } from './chain-reuse.js';
import { memoizedSnapshot } from './snapshot-memo.js';
import { SnapshotLists } from './snapshot-lists.js';
import { eventSubject, type EventSubject } from './event-subject.js';
import { recordFields, type RecordFields } from './record-fields.js';

/** One audit event with what the history says about its acting process at that time. */
export interface EnrichedEvent {
  /** The audit id, `SEC.MS:SERIAL`. */
  id: string;
  /** The history's host of the event ('' for logs without node= and no --host). */
  host: string;
  subject: EventSubject;
  records: RecordFields[];
  /** Where the event's first record was read. */
  position: SourcePosition;
  /** The chain at the event's time, self first; absent with `noAncestry`. */
  ancestry?: AncestryResult;
  /** Why there is no chain: the event names no process, or the history knows none then. */
  noAncestry?: string;
}

export interface EnrichOptions {
  /** Host for records without node= (as ingest --host). */
  host?: string;
  /** Only events holding a record of one of these types. */
  types?: ReadonlySet<string>;
  /**
   * True: every event's chain is asked of the history, lookup by lookup (the plain path the
   * tests compare with). Default: a chain is reused while nothing it rests on changes (see
   * ChainReuse); the output is the same.
   */
  plain?: boolean;
  /** Counted while enriching: events whose chain was reused (figures, tests). */
  stats?: { chainsReused: number };
}

/**
 * The events of `events` that pass `types`, each with its ancestry from `reader` (one
 * snapshot). One event in, at most one out, in input order: memory is one event's worth.
 */
export async function* enrichEvents(snapshot: HistoryReader, events: AsyncIterable<AssembledEvent>, options: EnrichOptions = {}): AsyncGenerator<EnrichedEvent> {
  const lists = options.plain === true ? undefined : new SnapshotLists(snapshot);
  const reader = memoizedSnapshot(snapshot, lists);
  const hosts = new Set(await reader.hosts());
  // Node-less records went into --host, else the unnamed host; a history of one host built
  // with --host is still found without it.
  const unnamed = options.host ?? (hosts.size === 1 && !hosts.has('') ? [...hosts][0]! : '');
  const reuse = lists === undefined ? undefined : new ChainReuse(reader, (host, pid) => lists.pidInstances(host, pid));
  for await (const event of events) {
    if (options.types !== undefined && !event.records.some((r) => options.types!.has(r.type))) continue;
    const subject = eventSubject(event);
    // Node-less records of a history of several hosts (each capture ingested with its own
    // --host): the event's host is the one that recorded its pid with a history covering
    // the event; never one picked at random.
    const choose = event.node === undefined && options.host === undefined && hosts.size > 1 && subject.pid !== undefined;
    const out: EnrichedEvent = { id: event.id, host: event.node ?? unnamed, subject, records: event.records.map(recordFields), position: event.positions[0]! };
    if (subject.pid === undefined) out.noAncestry = 'the event names no process (no pid= field)';
    else if (!choose && !hosts.has(out.host)) out.noAncestry = `the history has no process records of host '${out.host}'`;
    else {
      try {
        if (choose) {
          out.host = await hostOfEventPid(reader, subject.pid, subject.timeNs);
          out.ancestry = await ancestryOfActor(reader, out.host, subject.pid, subject);
        } else {
          const known = reuse?.lookup(out.host, subject.pid, subject.timeNs);
          if (known !== undefined && options.stats !== undefined) options.stats.chainsReused++;
          out.ancestry = known ?? (await ancestryOfActor(reader, out.host, subject.pid, subject));
          // An exec changes the chain at this very event: not worth the lookups that keeping it costs.
          if (known === undefined && !event.records.some((r) => r.type === 'EXECVE')) await reuse?.remember(out.host, subject.pid, subject.timeNs, out.ancestry);
        }
      } catch (error) {
        // No process of that pid then (by the records): said per event, never fatal.
        if (!(error instanceof UserError)) throw error;
        out.noAncestry = error.message;
      }
    }
    yield out;
  }
}

/** Parents followed through processes that end in the event's own millisecond. */
const MAX_ENDING_DEPTH = 16;

/**
 * The chain of the process acting at `subject`'s time, as `ancestry --at audit(ID)` gives
 * it. Lifetimes are [start, end) at millisecond stamps, so a process that ends in the
 * event's millisecond (its own exit_group, or an exec followed by a quick exit: `seq 200`
 * forks, execs and exits within one ms) has ended "at" the event and the query finds
 * nobody. Such a process is taken as it was at the event (its image in force then, this
 * event's exec included), followed by its parent's chain at that time.
 */
async function ancestryOfActor(reader: HistoryReader, host: string, pid: number, subject: EventSubject, depth = 0): Promise<AncestryResult> {
  const atNs = subject.timeNs;
  const query = { host, pid, atNs, atSerial: subject.serial };
  // Checked first (ancestryAt asks the same, answered from memory): the answer "nobody"
  // costs ancestryAt a search for what to say instead, wasted when the process is ending.
  if ((await reader.instancesAt(host, pid, atNs)).length > 0 || depth >= MAX_ENDING_DEPTH) return ancestryAtInSnapshot(reader, query);
  const ending = await endingAt(reader, host, pid, atNs);
  return ending === undefined ? ancestryAtInSnapshot(reader, query) : endingAncestry(reader, host, ending, subject, depth);
}

/** The instance of `pid` whose recorded end is `atNs` (started before, or in that same millisecond). */
async function endingAt(reader: HistoryReader, host: string, pid: number, atNs: bigint): Promise<InstanceRow | undefined> {
  const before = (await reader.instancesAt(host, pid, atNs - 1n)).find((i) => i.endNs === atNs);
  return before ?? (await reader.instancesOfPid(host, pid)).filter((i) => i.startNs === atNs && i.endNs === atNs).at(-1);
}

async function endingAncestry(reader: HistoryReader, host: string, inst: InstanceRow, subject: EventSubject, depth: number): Promise<AncestryResult> {
  const atNs = subject.timeNs;
  const self = linkOf(inst, await imageFrom(reader, inst, atNs, await reader.ownImageAt(inst.id, atNs, subject.serial)));
  const result: AncestryResult = { host, pid: inst.pid, atNs, lineage: 'parent', chain: [self], uncertain: false, complete: false, notes: [] };
  const parent = await reader.parentAt(inst.id, atNs);
  if (parent === undefined) {
    result.uncertain = true;
    result.notes.push(`chain ends at pid ${inst.pid}: no record names its parent`);
    return result;
  }
  self.ppid = parent.ppid;
  if (parent.ppid === 0) {
    result.complete = true;
    return result;
  }
  try {
    const rest = await ancestryOfActor(reader, host, parent.ppid, subject, depth + 1);
    result.chain.push(...rest.chain);
    result.complete = rest.complete;
    result.uncertain = rest.uncertain;
    result.notes.push(...rest.notes);
    if (parent.parentId !== undefined && rest.chain[0]?.instanceId !== parent.parentId) {
      result.uncertain = true;
      result.notes.push(`the recorded parent of pid ${inst.pid} (pid ${parent.ppid}) had ended by then; pid ${parent.ppid} was held by another process`);
    }
  } catch (error) {
    if (!(error instanceof NoProcessAtTimeError)) throw error;
    result.chain.push({ pid: parent.ppid, startKnown: false, cmd: '', notes: [`no record of pid ${parent.ppid} alive at ${formatTimeNs(atNs)}`] });
    result.uncertain = true;
  }
  return result;
}

/** A chain link of `inst` running `image` (the fields ancestry-at.ts gives a link). */
function linkOf(inst: InstanceRow, image: ImageRow | undefined): AncestryLink {
  const link: AncestryLink = { pid: inst.pid, instanceId: inst.id, startNs: inst.startNs, startKnown: inst.startKnown, cmd: commandOf(image), notes: [] };
  if (inst.endNs !== undefined) link.endNs = inst.endNs;
  if (image?.exe !== undefined) link.exe = image.exe;
  if (image?.argv !== undefined) link.argv = image.argv;
  if (image?.comm !== undefined) link.comm = image.comm;
  if (image?.user !== undefined) link.user = image.user;
  if (image?.uid !== undefined) link.uid = image.uid;
  return link;
}
