import { existsSync } from 'node:fs';
import type { AssembledEvent } from '../../adapters/auditd/reassemble.js';
import { UsageError, UserError } from '../cli/user-error.js';
import type { HistoryReader, HistoryStore } from '../history/history-store.js';
import { auditEventIdOf } from '../time/parse-time.js';
import { auditEvents, newAuditEventStreamStats } from './audit-event-stream.js';
import { enrichEvents, type EnrichedEvent } from './enrich-events.js';

/**
 * One audit event named by its id, as `explain` and `report --event` take it: the id parsed,
 * the event found in the logs by enrich's own stream, and enriched (its acting process and
 * that process's chain at the event) by enrich's own code, so both commands give the chain
 * `enrich` gives for that event.
 */

/** `T:SERIAL` from `1796280983.178:489816`, `audit(1796280983.178:489816)` or `msg=audit(...):`. */
export function parseEventId(text: string): string {
  const id = auditEventIdOf(text);
  if (id === undefined) throw new UsageError(`EVENT_ID must be an audit id such as 1796280983.178:489816 or audit(1796280983.178:489816), got '${text}'`);
  return id;
}

/** Refuses inputs that cannot be read twice (ingest, then the event). No INPUT: the history's own sources. */
export function checkEventInputs(inputs: string[], command: string): void {
  if (inputs.includes('-')) throw new UsageError(`${command} reads its input twice (ingest, then the event): give a file or directory, not - (stdin)`);
}

/**
 * Where to look for the event: the INPUT given, else every input the history was ingested
 * from, as named then (an archive once for all its entries; stdin cannot be read again).
 * A history whose sources have all moved away is a UserError saying to give INPUT.
 */
export async function eventSearchInputs(given: string[], store: HistoryStore): Promise<string[]> {
  if (given.length > 0) return given;
  const named = [...new Set((await store.read((r) => r.sourcePaths())).filter((p) => p !== '-').map((p) => p.replace(/!\/.*$/s, '')))];
  const present = named.filter((p) => existsSync(p));
  if (present.length > 0) return present;
  if (named.length === 0) throw new UserError('the history names no log file it was ingested from (stdin only?): give the log that holds the event as INPUT');
  const shown = named.slice(0, 3).join(', ') + (named.length > 3 ? `, ... (${named.length} in all)` : '');
  throw new UserError(`the logs this history was ingested from are not where they were (${shown}; relative paths are from where ingest ran): give the log that holds the event as INPUT`);
}

/**
 * The event with audit id `id` in the inputs: exactly one, else a UserError (none, or the
 * same id in several hosts' logs without `host`). With a host given, reading stops at its event.
 */
export async function findAuditEvent(inputs: string[], id: string, host: string | undefined): Promise<AssembledEvent> {
  const stats = newAuditEventStreamStats();
  const found: AssembledEvent[] = [];
  for await (const e of auditEvents(inputs, stats)) {
    if (e.id !== id) continue;
    if (host !== undefined && e.node !== undefined && e.node !== host) continue;
    found.push(e);
    if (host !== undefined) break;
  }
  const where = inputs.length <= 3 ? inputs.join(' ') : `${inputs.slice(0, 3).join(' ')} ... (${inputs.length} inputs)`;
  if (found.length === 0) throw new UserError(`no event ${id} in ${where} (${stats.events} events read)`);
  if (found.length > 1) throw new UserError(`event ${id} is in the logs of several hosts (${found.map((e) => e.node ?? '').join(', ')}): pass --host NAME`);
  return found[0]!;
}

/** The event with its acting process and chain, inside the caller's read (snapshot). */
export async function enrichOne(reader: HistoryReader, event: AssembledEvent, host: string | undefined): Promise<EnrichedEvent> {
  for await (const e of enrichEvents(reader, once(event), host !== undefined ? { host } : {})) return e;
  throw new Error(`enrichEvents dropped event ${event.id}`);
}

async function* once<T>(value: T): AsyncGenerator<T> {
  yield value;
}
