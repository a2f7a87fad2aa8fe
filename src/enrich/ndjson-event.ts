import { formatTimeNs } from '../time/format-time.js';
import { logFields, processFields, procTreeFields } from './ancestry-fields.js';
import type { EnrichedEvent } from './enrich-events.js';
import { ecsErrorFields, ecsSocketFields, eventSocket, procTreeSocket } from './event-socket.js';

/**
 * `enrich --format ndjson`: the event as read (every record with all its fields, decoded)
 * beside the acting process and its chain. Field names of process/proc_tree as in ECS; a
 * SOCKADDR's address decoded (destination or source, proc_tree.socket), a failed syscall's
 * errno as error.code.
 */
export function toNdjsonEvent(e: EnrichedEvent): Record<string, unknown> {
  const doc: Record<string, unknown> = {
    event: { id: e.id, time: formatTimeNs(e.subject.timeNs), types: distinctTypes(e) },
  };
  if (e.host !== '') doc.host = { name: e.host };
  doc.records = e.records;
  doc.process = processFields(e);
  const socket = eventSocket(e.records);
  if (socket !== undefined) Object.assign(doc, ecsSocketFields(socket));
  Object.assign(doc, ecsErrorFields(e.records));
  doc.proc_tree = procTreeFields(e);
  if (socket !== undefined) (doc.proc_tree as Record<string, unknown>).socket = procTreeSocket(socket);
  doc.log = logFields(e);
  return doc;
}

export function distinctTypes(e: EnrichedEvent): string[] {
  return [...new Set(e.records.map((r) => r.type))];
}
