const NS_PER_MS = 1_000_000n;

/**
 * ISO-8601 UTC with all nine nanosecond digits, e.g. `2026-11-25T06:10:00.123456789Z`.
 * Date alone would round to milliseconds, which merges distinct audit events.
 */
export function formatTimeNs(ns: bigint): string {
  const ms = ns / NS_PER_MS;
  const subMs = ns % NS_PER_MS;
  const iso = new Date(Number(ms)).toISOString(); // ...T06:10:00.123Z
  return `${iso.slice(0, -1)}${subMs.toString().padStart(6, '0')}Z`;
}
