import type { BuilderContext } from './builder-context.js';
import type { WriteEvidence } from './history-writer.js';
import { linkParent, type HostTable, type LiveProc } from './live-process-table.js';

/**
 * Ends a live instance (observed exit, or inferred: pid reused, children reparented) and
 * orphans its live children to init at that moment.
 */
export function closeInstance(
  ctx: BuilderContext,
  h: HostTable,
  p: LiveProc,
  t: bigint,
  certainty: 'observed' | 'inferred',
  reason: string | undefined,
  exitCode: number | undefined,
  exitSignal: number | undefined,
  ev: WriteEvidence | undefined,
): void {
  // An end before the start would make the instance exist at no time: out-of-order
  // evidence; clamp to the start so the interval stays valid.
  const endNs = t < p.startNs ? p.startNs : t;
  ctx.writer.endInstance(p.id, {
    endNs,
    certainty,
    ...(reason !== undefined ? { reason } : {}),
    ...exitFields(exitCode, exitSignal),
    ...(ev ? { evidence: ev } : {}),
  });
  if (h.live.get(p.pid) === p) h.live.delete(p.pid);
  linkParent(h, p, undefined);
  h.awaiting.delete(p.id);
  h.claims.delete(p.id);
  orphanChildren(ctx, h, p, endNs, ev);
  ctx.stats.instancesClosed++;
  if (certainty === 'inferred') ctx.stats.inferredEnds++;
}

/** The parent ended: the kernel gave its children to a reaper right then (init unless a subreaper exists). */
function orphanChildren(ctx: BuilderContext, h: HostTable, parent: LiveProc, t: bigint, ev: WriteEvidence | undefined): void {
  const children = h.children.get(parent.id);
  if (children === undefined) return;
  for (const c of [...children]) {
    const init = h.live.get(1);
    const rowId = ctx.writer.insertParent({ instanceId: c.id, sinceNs: t, ppid: 1, ...(init ? { parentId: init.id } : {}), kind: 'orphaned', ...(ev ? { evidence: ev } : {}) });
    c.ppid = 1;
    c.orphanRowId = rowId;
    linkParent(h, c, init?.id);
  }
}

export function exitFields(exitCode: number | undefined, exitSignal: number | undefined): { exitCode?: number; exitSignal?: number } {
  const out: { exitCode?: number; exitSignal?: number } = {};
  if (exitCode !== undefined) out.exitCode = exitCode;
  if (exitSignal !== undefined) out.exitSignal = exitSignal;
  return out;
}
