/**
 * Audit serial gaps are lost events in a log written by auditd, but only the records left
 * out in a log someone filtered (grep, ausearch -c) or edited. Both look the same record by
 * record; over a whole run they do not: a kernel that drops records under load leaves a
 * few gaps in a long log, a filter leaves gaps everywhere, often covering more serials than
 * the records kept. This only decides whether to say so; what is detected and stored as a
 * loss does not change (the user decides, with --no-loss-detection).
 */

/** What one ingest run saw of serial gaps. */
export interface SerialGapPicture {
  /** Loss events stored (one per gap). */
  gaps: number;
  /** Events the gaps say are missing (sum of their counts). */
  missingEvents: number;
  /** Records (lines) read: a record is at most one event, so this over-counts events kept. */
  records: number;
}

export interface FilteredLogHint extends SerialGapPicture {
  message: string;
}

/** Fewer gaps than this never suggest filtering: one or two is what real loss looks like. */
const MIN_GAPS = 3;
/** A gap every this many records or closer is a filter's pattern, not a kernel's. */
const RECORDS_PER_GAP = 10;

export function filteredLogHint(p: SerialGapPicture): FilteredLogHint | undefined {
  if (p.gaps < MIN_GAPS) return undefined;
  const dense = p.gaps * RECORDS_PER_GAP >= p.records;
  const mostlyMissing = p.missingEvents >= p.records;
  if (!dense && !mostlyMissing) return undefined;
  const why = dense
    ? `${p.gaps} serial gaps among ${p.records} records`
    : `${p.missingEvents} events missing from the serial range against ${p.records} records kept`;
  return {
    ...p,
    message:
      `the losses look like a filtered or edited log (${why}): if it was cut with grep/ausearch or edited, ` +
      `ingest it into a fresh database with --no-loss-detection so answers are not marked uncertain by records that were only left out`,
  };
}
