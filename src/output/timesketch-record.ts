import { commandOf } from '../history/image-at.js';
import type { ProcessAction, ProcessRecord } from '../history/process-records.js';
import { toEcs } from './ecs-record.js';
import { flatten } from './flatten.js';

/** What the timestamp of each record means, for Timesketch's `timestamp_desc`. */
const TIMESTAMP_DESC: Record<ProcessAction, string> = {
  fork: 'Process Fork',
  seen: 'Process First Seen',
  exec: 'Process Exec',
  'credential-change': 'Process Credential Change',
  'comm-change': 'Process Name Change',
  observed: 'Process Observed',
  reparent: 'Process Reparent',
  exit: 'Process Exit',
  gone: 'Process End Inferred',
};

/** ISO-8601 with microseconds and an explicit zone: what Timesketch's importer parses. */
function isoMicros(ns: bigint): string {
  const ms = ns / 1_000_000n;
  const micros = (ns / 1000n) % 1000n;
  return `${new Date(Number(ms)).toISOString().slice(0, -1)}${micros.toString().padStart(3, '0')}+00:00`;
}

/** One readable line: what happened, to which process, under which parent. */
export function messageOf(r: ProcessRecord): string {
  const cmd = commandOf(r.image);
  const parent = r.parent === undefined ? '' : ` ppid ${r.parent.ppid}`;
  const what =
    r.action === 'exit' && r.instance.exitCode !== undefined
      ? `exit ${r.instance.exitCode}`
      : r.action === 'gone'
        ? `end inferred (${r.instance.endReason ?? 'no exit record'})`
        : r.action;
  return `${what} pid ${r.instance.pid}${parent}${cmd === '' ? '' : `: ${cmd}`}`;
}

/**
 * A Timesketch JSONL event: the mandatory `message`, `datetime` (ISO-8601 with zone),
 * `timestamp_desc`, plus `timestamp` (µs since the epoch, Timesketch's own unit) and the
 * ECS record flattened (`process_parent_entity_id`, ...).
 */
export function toTimesketch(r: ProcessRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {
    message: messageOf(r),
    datetime: isoMicros(r.timeNs),
    timestamp: Number(r.timeNs / 1000n),
    timestamp_desc: TIMESTAMP_DESC[r.action],
    data_type: 'proc_tree:process',
  };
  // The ECS record flattened after these (ECS's own @timestamp -> timestamp is left out):
  // written in place rather than flattened, destructured and spread (two copies per record).
  return flatten(toEcs(r), '', out, ECS_TIMESTAMP);
}

const ECS_TIMESTAMP: ReadonlySet<string> = new Set(['timestamp']);
