import type { AncestryLink } from '../history/ancestry-at.js';
import { ancestryNotes } from '../history/ancestry-text.js';
import { entityId } from '../output/entity-id.js';
import { formatTimeNs } from '../time/format-time.js';
import type { EnrichedEvent } from './enrich-events.js';

type Json = Record<string, unknown>;

/** Sets only defined values: a missing fact is an absent field, never null or "". */
function put(target: Json, key: string, value: unknown): void {
  if (value !== undefined) target[key] = value;
}

/**
 * Recent ids and start times by instance: consecutive events share their chains, and a
 * sha256 plus a date format per link was a fifth of enrich's time. Emptied when full, so
 * memory stays bounded on any log.
 */
const MAX_REMEMBERED = 4096;
const remembered = new Map<string, { id: string; start: string }>();

function instanceText(host: string, pid: number, startNs: bigint): { id: string; start: string } {
  const key = `${host}\0${pid}\0${startNs}`;
  let text = remembered.get(key);
  if (text === undefined) {
    if (remembered.size >= MAX_REMEMBERED) remembered.clear();
    remembered.set(key, (text = { id: entityId(host, pid, startNs), start: formatTimeNs(startNs) }));
  }
  return text;
}

/** `process.entity_id` of a link, the id `export` gives the same instance; undefined without a start. */
export function linkEntityId(host: string, link: AncestryLink): string | undefined {
  return link.startNs === undefined ? undefined : instanceText(host, link.pid, link.startNs).id;
}

function linkStart(host: string, link: AncestryLink): string | undefined {
  return link.startNs === undefined ? undefined : instanceText(host, link.pid, link.startNs).start;
}

/** The acting process (`process.*`): pid, entity id, executable, args, user, start. */
export function processFields(e: EnrichedEvent): Json {
  const process: Json = {};
  if (e.subject.pid !== undefined) process.pid = e.subject.pid;
  const self = e.ancestry?.chain[0];
  if (self === undefined) return process;
  put(process, 'entity_id', linkEntityId(e.ancestry!.host, self));
  put(process, 'name', self.comm);
  put(process, 'executable', self.exe);
  if (self.argv !== undefined) {
    process.args = self.argv;
    process.args_count = self.argv.length;
    process.command_line = self.argv.join(' ');
  }
  const user: Json = {};
  put(user, 'id', self.uid?.toString());
  put(user, 'name', self.user);
  if (Object.keys(user).length > 0) process.user = user;
  put(process, 'start', linkStart(e.ancestry!.host, self));
  const parent = e.ancestry!.chain[1];
  if (parent !== undefined) {
    const p: Json = { pid: parent.pid };
    put(p, 'entity_id', linkEntityId(e.ancestry!.host, parent));
    put(p, 'executable', parent.exe);
    process.parent = p;
  } else if (self.ppid !== undefined && self.ppid !== 0) process.parent = { pid: self.ppid };
  return process;
}

/**
 * `proc_tree.*`: the chain at the event's time, self first, each entry {pid, entity_id,
 * executable, args, start, start_known}, and why it may be wrong (`uncertain`, `uncertainty`).
 */
export function procTreeFields(e: EnrichedEvent): Json {
  const a = e.ancestry;
  if (a === undefined) return { ancestry: [], complete: false, uncertain: true, uncertainty: [e.noAncestry ?? 'no ancestry'] };
  const ancestry = a.chain.map((link) => {
    const entry: Json = { pid: link.pid };
    put(entry, 'entity_id', linkEntityId(a.host, link));
    put(entry, 'executable', link.exe);
    put(entry, 'args', link.argv);
    put(entry, 'start', linkStart(a.host, link));
    entry.start_known = link.startKnown;
    return entry;
  });
  const uncertainty = ancestryNotes(a); // as `ancestry --at` says them
  return { ancestry, complete: a.complete, uncertain: a.uncertain, uncertainty };
}

/** Where the event's first record was read. */
export function logFields(e: EnrichedEvent): Json {
  const log: Json = { file: { path: e.position.file }, offset: e.position.offset };
  put(log, 'line', e.position.line);
  return log;
}
