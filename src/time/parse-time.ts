import { UsageError } from '../cli/user-error.js';

const NS_PER_S = 1_000_000_000n;
/** 9999-12-31T23:59:59Z: past it, ISO-8601 (and Date) cannot print the time back. */
const MAX_EPOCH_S = 253_402_300_799n;
const ISO_WITH_ZONE =
  /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})$/i;

/** An audit event id as it appears in a log line: `audit(1697091526.357:2638035)` or without `audit(...)`. */
const AUDIT_EVENT_ID = /^(?:msg=)?(?:audit\()?(\d+\.\d{3}):(\d+)\)?:?$/;

/** `SECONDS.MS:SERIAL` of an audit event id as pasted (`audit(...)`, `msg=audit(...):` or bare); undefined for other text. */
export function auditEventIdOf(text: string): string | undefined {
  const m = AUDIT_EVENT_ID.exec(text.trim());
  return m ? `${m[1]}:${m[2]}` : undefined;
}

/**
 * The serial of a TIME given as an audit event id (`audit(1697091526.357:2638035)` ->
 * 2638035), undefined for other forms: events of the same millisecond are ordered by it.
 */
export function auditEventSerial(text: string): number | undefined {
  const m = AUDIT_EVENT_ID.exec(text.trim());
  return m ? Number(m[2]) : undefined;
}

/**
 * Parses a user-supplied TIME: epoch seconds with an optional decimal fraction
 * (`1697091526.357`), ISO-8601 with an explicit zone (`2026-11-25T06:10:00.5Z`,
 * `...+01:00`), or an audit event id pasted from a log (`audit(1697091526.357:2638035)`,
 * whose time it stands for). A zone is required: guessing the analyst's local zone for a
 * forensic timestamp would silently shift every answer.
 */
export function parseTimeNs(text: string): bigint {
  const eventId = AUDIT_EVENT_ID.exec(text.trim());
  const trimmed = eventId ? eventId[1]! : text.trim();
  const epoch = /^(\d+)(?:\.(\d{1,9}))?$/.exec(trimmed);
  if (epoch) {
    const seconds = BigInt(epoch[1]!);
    const fraction = BigInt((epoch[2] ?? '').padEnd(9, '0') || '0');
    if (seconds > MAX_EPOCH_S) throw tooLarge(text, epoch[1]!, epoch[2]);
    return seconds * NS_PER_S + fraction;
  }
  const iso = ISO_WITH_ZONE.exec(trimmed);
  if (iso) {
    const [, date, clock, fraction = '', zone] = iso;
    const zoneNormalized = zone!.toUpperCase() === 'Z' ? 'Z' : zone!.replace(/^([+-]\d{2})(\d{2})$/, '$1:$2');
    const wholeMs = Date.parse(`${date}T${clock!.length === 5 ? `${clock}:00` : clock}${zoneNormalized}`);
    if (!Number.isNaN(wholeMs)) {
      return BigInt(wholeMs) * 1_000_000n + BigInt(fraction.padEnd(9, '0') || '0');
    }
  }
  // A date and clock without a zone is the commonest slip (copied from a local log view):
  // name the fix rather than the whole grammar.
  if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/.test(trimmed)) {
    throw new UsageError(
      `cannot read time '${text}': it has no time zone; add Z for UTC or an offset like +01:00 (${trimmed.replace(' ', 'T')}Z)`,
    );
  }
  throw new UsageError(
    `cannot read time '${text}': give epoch seconds (1697091526.357), ISO-8601 with a zone (2023-10-12T06:18:46.357Z) or an audit event id (audit(1697091526.357:2638035))`,
  );
}

/**
 * Epoch seconds past year 9999 are almost always nanoseconds pasted from an `...Ns` field
 * (ours or the truth files'): say how to write them rather than guess the unit.
 */
function tooLarge(text: string, whole: string, fraction: string | undefined): UsageError {
  const hint =
    fraction === undefined && whole.length > 9
      ? `; if it is nanoseconds, write ${whole.slice(0, -9)}.${whole.slice(-9)}`
      : '';
  return new UsageError(`cannot read time '${text}': ${whole} epoch seconds is after the year 9999${hint}`);
}
