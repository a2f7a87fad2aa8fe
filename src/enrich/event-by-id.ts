import { existsSync } from 'node:fs';
import type { AssembledEvent } from '../../adapters/auditd/reassemble.js';
import { UsageError, UserError } from '../cli/user-error.js';
import type { HistoryReader, HistoryStore } from '../history/history-store.js';
import { auditEventIdOf } from '../time/parse-time.js';
import { auditEvents, newAuditEventStreamStats } from './audit-event-stream.js';
import { enrichEvents, type EnrichedEvent } from './enrich-events.js';
import { auditEventsWithId, canReadAgain, EVENT_TIME_MARGINS_MS } from './events-near-time.js';
import { lineNumbersAt } from '../sources/line-number-at.js';

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

/** Where to look for an event, and what could not be looked at (a history's stdin input). */
export interface EventSearch {
  inputs: string[];
  /** Said when the event is not found: part of the history came from stdin and cannot be read again. */
  note?: string;
}

/** What a history read from stdin (`-`) lacks, and how to avoid it next time. */
const STDIN_SOURCE =
  "read from stdin ('-') at ingest, which cannot be read again: give the log that holds the event as INPUT (ingest a log by its path, or with --source-name PATH, for explain to find it later)";

/**
 * Where to look for the event: the INPUT given, else every input the history was ingested
 * from, as named then (an archive once for all its entries; stdin cannot be read again).
 * A history whose sources have all moved away (or were stdin) is a UserError saying to give INPUT.
 */
export async function eventSearchInputs(given: string[], store: HistoryStore): Promise<EventSearch> {
  if (given.length > 0) return { inputs: given };
  const sources = await store.read((r) => r.sourcePaths());
  const fromStdin = sources.includes('-');
  const named = [...new Set(sources.filter((p) => p !== '-').map((p) => p.replace(/!\/.*$/s, '')))];
  const present = named.filter((p) => existsSync(p));
  if (present.length > 0) return { inputs: present, ...(fromStdin ? { note: `the rest of this history was ${STDIN_SOURCE}` } : {}) };
  if (fromStdin && named.length === 0) throw new UserError(`this history was ${STDIN_SOURCE}`);
  if (named.length === 0) throw new UserError('the history names no log file it was ingested from: give the log that holds the event as INPUT');
  const shown = named.slice(0, 3).join(', ') + (named.length > 3 ? `, ... (${named.length} in all)` : '');
  throw new UserError(`the logs this history was ingested from are not where they were (${shown}; relative paths are from where ingest ran): give the log that holds the event as INPUT`);
}

/**
 * The event with audit id `id` in the inputs: exactly one, else a UserError (none, or the
 * same id in several hosts' logs without `host`). First only the part of each log written
 * around the id's time (events-near-time.ts); when that misses the event (it blocked longer
 * than the margin, or the log is out of order), every input in full, as before. A found
 * event is the full read's: same records, same positions and line numbers.
 */
export async function findAuditEvent(where: string[] | EventSearch, id: string, host: string | undefined): Promise<AssembledEvent> {
  const search = Array.isArray(where) ? { inputs: where } : where;
  const near = await findNearItsTime(search.inputs, id, host);
  if (near !== undefined) return near;
  return findInFullRead(search, id, host);
}

/**
 * The first passes, narrowest first: undefined when they find nothing or meet an input they
 * cannot read (the full read then says why), and not tried when an input is a pipe (it
 * cannot be read again by the next pass or the full read).
 */
async function findNearItsTime(inputs: string[], id: string, host: string | undefined): Promise<AssembledEvent | undefined> {
  if (!(await canReadAgain(inputs))) return undefined;
  const [time, serial] = id.split(':');
  const [sec, ms] = time!.split('.');
  const wanted = { sec: Number(sec), ms: Number(ms), serial: Number(serial) };
  for (const marginMs of EVENT_TIME_MARGINS_MS) {
    const found: AssembledEvent[] = [];
    try {
      for await (const e of auditEventsWithId(inputs, wanted, marginMs)) {
        if (!isTheEvent(e, id, host)) continue;
        found.push(e);
        if (host !== undefined) break;
      }
    } catch {
      return undefined;
    }
    // None: a wider margin. Several hosts: the full read decides and names them.
    if (found.length === 1) return withLineNumbers(found[0]!);
    if (found.length > 1) return undefined;
  }
  return undefined;
}

async function findInFullRead(search: EventSearch, id: string, host: string | undefined): Promise<AssembledEvent> {
  const { inputs } = search;
  const stats = newAuditEventStreamStats();
  const found: AssembledEvent[] = [];
  for await (const e of auditEvents(inputs, stats)) {
    if (!isTheEvent(e, id, host)) continue;
    found.push(e);
    if (host !== undefined) break;
  }
  const where = inputs.length <= 3 ? inputs.join(' ') : `${inputs.slice(0, 3).join(' ')} ... (${inputs.length} inputs)`;
  if (found.length === 0) throw new UserError(`no event ${id} in ${where} (${stats.events} events read)${search.note !== undefined ? `; ${search.note}` : ''}`);
  if (found.length > 1) throw new UserError(`event ${id} is in the logs of several hosts (${found.map((e) => e.node ?? '').join(', ')}): pass --host NAME`);
  return found[0]!;
}

function isTheEvent(e: AssembledEvent, id: string, host: string | undefined): boolean {
  return e.id === id && (host === undefined || e.node === undefined || e.node === host);
}

/**
 * Line numbers for the positions read after a seek (only plain files seek, so each such
 * position's file is a plain file on disk): counted from the file's start, as the full read
 * counts them, so evidence shows the same `file:line`.
 */
async function withLineNumbers(event: AssembledEvent): Promise<AssembledEvent> {
  const unknown = new Map<string, number[]>();
  for (const p of event.positions) if (p.line === undefined) unknown.set(p.file, [...(unknown.get(p.file) ?? []), p.offset]);
  if (unknown.size === 0) return event;
  const lines = new Map<string, Map<number, number>>();
  for (const [file, offsets] of unknown) lines.set(file, await lineNumbersAt(file, offsets));
  const positions = event.positions.map((p) => (p.line !== undefined ? p : { file: p.file, offset: p.offset, line: lines.get(p.file)!.get(p.offset)! }));
  return { ...event, positions };
}

/** The event with its acting process and chain, inside the caller's read (snapshot). */
export async function enrichOne(reader: HistoryReader, event: AssembledEvent, host: string | undefined): Promise<EnrichedEvent> {
  for await (const e of enrichEvents(reader, once(event), host !== undefined ? { host } : {})) return e;
  throw new Error(`enrichEvents dropped event ${event.id}`);
}

async function* once<T>(value: T): AsyncGenerator<T> {
  yield value;
}
