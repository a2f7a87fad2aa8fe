import type { PushSummary, RowCounts } from './run-push.js';

const total = (c: RowCounts): number => c.instances + c.parents + c.images + c.losses + c.sources;
const n = (x: number): string => x.toLocaleString('en-US');

/**
 * The text summary of a push, e.g.
 * `pushed a.db to postgres://.../fleet (hosts '', "vm"): 398 instances, 395 parents, 230 images, 0 losses, 4 sources new; 0 rows updated; 0.21 s, 4,900 rows/s`
 * and `...: 0 new, 0 updated: PostgreSQL already holds everything` for a re-push.
 */
export function formatPushSummary(s: PushSummary, db: string, where: string): string {
  const hosts = s.hosts.map((h) => JSON.stringify(h)).join(', ');
  const head = `pushed ${db} to ${where} (host${s.hosts.length === 1 ? '' : 's'} ${hosts})`;
  const rows = total(s.added) + total(s.updated);
  if (rows === 0 && !s.stateWritten) return `${head}: 0 new, 0 updated: PostgreSQL already holds everything`;
  const a = s.added;
  const added = `${n(a.instances)} instances, ${n(a.parents)} parents, ${n(a.images)} images, ${n(a.losses)} losses, ${n(a.sources)} sources new`;
  const u = s.updated;
  const updated = total(u) === 0 ? '0 rows updated' : `${n(u.instances)} instances, ${n(u.parents)} parents, ${n(u.sources)} sources updated`;
  const rate = s.seconds > 0 ? `, ${n(Math.round(rows / s.seconds))} rows/s` : '';
  return `${head}: ${added}; ${updated}; ${s.seconds.toFixed(2)} s${rate}`;
}
