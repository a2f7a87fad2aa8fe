import type { ImageRow, InstanceRow } from '../history/history-types.js';
import type { ProcessAction, ProcessRecord } from '../history/process-records.js';
import { formatTimeNs } from '../time/format-time.js';
import { entityId } from './entity-id.js';

/** The ECS release whose field table (test/output/ecs-fields.csv) the records are checked against. */
export const ECS_VERSION = '9.4.0';

/**
 * event.type per action. An exec is a `change` of the same entity, not a `start`: the
 * entity is the instance (host, pid, fork time), which an exec does not end, so a count of
 * `start` events counts processes, and `process.previous` says what ran before.
 */
export const ECS_EVENT_TYPE: Record<ProcessAction, string[]> = {
  fork: ['start'],
  seen: ['info'],
  exec: ['change'],
  'credential-change': ['change'],
  'comm-change': ['change'],
  observed: ['info'],
  reparent: ['change'],
  exit: ['end'],
  gone: ['end'],
};

type Json = Record<string, unknown>;

/** Sets only defined values: a missing fact is an absent field, never null or "". */
function put(target: Json, key: string, value: unknown): void {
  if (value !== undefined) target[key] = value;
}

const baseName = (path: string | undefined): string | undefined => (path === undefined ? undefined : path.slice(path.lastIndexOf('/') + 1) || undefined);

/** process.* fields of an image: name, executable, args, command line, cwd, users. */
function imageFields(target: Json, image: ImageRow | undefined): void {
  if (image === undefined) return;
  put(target, 'name', image.comm ?? baseName(image.exe));
  put(target, 'executable', image.exe);
  if (image.argv !== undefined) {
    target.args = image.argv;
    target.args_count = image.argv.length;
    target.command_line = image.argv.join(' ');
  }
  put(target, 'working_directory', image.cwd);
  // ECS: process.user is the effective user, process.real_user the real one (audit uid).
  const user: Json = {};
  put(user, 'id', (image.euid ?? image.uid)?.toString());
  put(user, 'name', image.euser ?? image.user);
  if (Object.keys(user).length > 0) target.user = user;
  const real: Json = {};
  put(real, 'id', image.uid?.toString());
  put(real, 'name', image.user);
  if (Object.keys(real).length > 0) target.real_user = real;
  if (image.gid !== undefined) target.real_group = { id: image.gid.toString() };
}

const idOf = (i: InstanceRow): string => entityId(i.host, i.pid, i.startNs);

/** Why this record may not be the whole truth, in words (empty when it is). */
export function uncertaintyOf(r: ProcessRecord): string[] {
  const out: string[] = [];
  if (!r.instance.startKnown) out.push(`start unknown: seen since ${formatTimeNs(r.instance.startNs)}`);
  if (r.parent?.kind === 'reparent-unverified') out.push('parent change not confirmed by a record');
  if (r.parent?.kind === 'orphaned') out.push(`parent exited: reaper assumed to be pid ${r.parent.ppid}`);
  if (r.parent !== undefined && r.parent.ppid !== 0 && r.parentInstance === undefined) out.push(`parent pid ${r.parent.ppid} has no record in the history`);
  if (r.action === 'gone') out.push(`end inferred (${r.instance.endReason ?? 'no exit record'})`);
  if (r.image === undefined) out.push('image unknown');
  return out;
}

/** One ECS document (nested objects, as Elasticsearch's _bulk takes it). Key order is fixed. */
export function toEcs(r: ProcessRecord): Json {
  const inst = r.instance;
  const doc: Json = { '@timestamp': formatTimeNs(r.timeNs), ecs: { version: ECS_VERSION } };
  const event: Json = { kind: 'event', category: ['process'], type: ECS_EVENT_TYPE[r.action], action: r.action };
  put(event, 'id', r.evidence?.id);
  doc.event = event;
  if (inst.host !== '') doc.host = { name: inst.host };
  const process: Json = { pid: inst.pid, entity_id: idOf(inst), start: formatTimeNs(inst.startNs) };
  imageFields(process, r.image);
  if (r.parent !== undefined) {
    const parent: Json = { pid: r.parent.ppid };
    if (r.parentInstance !== undefined) {
      parent.entity_id = idOf(r.parentInstance);
      parent.start = formatTimeNs(r.parentInstance.startNs);
    }
    process.parent = parent;
  }
  if (r.previousImage !== undefined) {
    const previous: Json = {};
    put(previous, 'executable', r.previousImage.exe);
    if (r.previousImage.argv !== undefined) {
      previous.args = r.previousImage.argv;
      previous.args_count = r.previousImage.argv.length;
    }
    process.previous = previous;
  }
  if (r.action === 'exit' || r.action === 'gone') {
    put(process, 'end', inst.endNs === undefined ? undefined : formatTimeNs(inst.endNs));
    put(process, 'exit_code', inst.exitCode);
  }
  doc.process = process;
  if (r.evidence?.file !== undefined || r.evidence?.offset !== undefined) {
    const log: Json = {};
    if (r.evidence.file !== undefined) log.file = { path: r.evidence.file };
    // log.offset is Filebeat's field (not in ECS itself): the byte offset of the record.
    put(log, 'offset', r.evidence.offset);
    doc.log = log;
  }
  doc.proc_tree = procTreeFields(r);
  return doc;
}

/**
 * How the end is known: `certainty` is `observed` (an exit record) or `inferred` (concluded:
 * `reason` says from what, e.g. `sigkill` for a delivered kill -9, `pid-reused` for a fork
 * that reused the pid); `signal` the killing signal when known. Flattened, these are the
 * Timesketch and CSV columns `proc_tree_end_certainty`, `proc_tree_end_reason`, `proc_tree_end_signal`.
 */
function endFields(inst: InstanceRow): Json {
  const end: Json = {};
  put(end, 'certainty', inst.endCertainty);
  put(end, 'reason', inst.endReason);
  put(end, 'signal', inst.exitSignal);
  return end;
}

/** Our own facts, under one custom namespace. */
function procTreeFields(r: ProcessRecord): Json {
  const inst = r.instance;
  const out: Json = { start_known: inst.startKnown, start_ns: inst.startNs.toString() };
  put(out, 'parent_kind', r.parent?.kind);
  if (r.creatorInstance !== undefined) out.creator = { pid: r.creatorInstance.pid, entity_id: idOf(r.creatorInstance) };
  else put(out, 'creator', inst.creatorPid === undefined ? undefined : { pid: inst.creatorPid });
  out.image_inherited = r.imageInherited;
  if (r.action === 'exit' || r.action === 'gone') out.end = endFields(inst);
  put(out, 'line', r.evidence?.line);
  out.uncertainty = uncertaintyOf(r);
  return out;
}
