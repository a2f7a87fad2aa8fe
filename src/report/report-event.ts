import { actionOf, categoriesOf, outcomeOf } from '../enrich/ecs-event.js';
import type { EnrichedEvent } from '../enrich/enrich-events.js';

/** The audit event a report was asked for (`report --event`), as the page shows it. */
export interface ReportEvent {
  /** `T:SERIAL`. */
  id: string;
  timeNs: bigint;
  /** enrich's event.action (`connect`, `openat`, `user_login`, ...) and outcome. */
  action: string;
  outcome?: string;
  categories: string[];
  /** Where its first record was read. */
  file: string;
  line?: number;
  offset: number;
  /** Its records, fields decoded (still untrusted text: the renderer escapes them). */
  records: { type: string; fields: [string, string][] }[];
  /** Why the event has no chain (it names no process, or none was alive then). */
  noAncestry?: string;
  /** Warnings: a log its records were read from again changed since ingest (changed-sources.ts). */
  changedSources?: string[];
}

/** The page's view of an enriched event: what `explain` prints at its head, as data. */
export function reportEventOf(e: EnrichedEvent): ReportEvent {
  const types = [...new Set(e.records.map((r) => r.type))];
  const out: ReportEvent = {
    id: e.id,
    timeNs: e.subject.timeNs,
    action: actionOf(e.records),
    categories: categoriesOf(types, types.includes('SYSCALL')),
    file: e.position.file,
    offset: e.position.offset,
    records: e.records.map((r) => ({ type: r.type, fields: Object.entries(r.fields) })),
  };
  const outcome = outcomeOf(e.records);
  if (outcome !== undefined) out.outcome = outcome;
  if (e.position.line !== undefined) out.line = e.position.line;
  if (e.noAncestry !== undefined) out.noAncestry = e.noAncestry;
  return out;
}
