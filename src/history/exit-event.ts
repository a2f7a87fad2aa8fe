import type { ExitEvent } from '../events/proc-event.js';
import type { BuilderContext } from './builder-context.js';
import { closeInstance, exitFields } from './close-instance.js';
import type { WriteEvidence } from './history-writer.js';
import type { HostTable } from './live-process-table.js';
import { touch } from './touch-process.js';

/** An exit record (observed) or an adapter's inference that a process is gone. */
export function applyExit(ctx: BuilderContext, h: HostTable, e: ExitEvent, ev: WriteEvidence | undefined): void {
  const { pid, timestampNs: t, ppid, exitCode, exitSignal } = e;
  const certainty = e.certainty ?? 'observed';
  if (!h.live.has(pid) && !h.pending.has(pid)) {
    // Already closed by inference (its children were reparented, its pid reused): the
    // exit record gives the real end, which can only be earlier.
    const last = ctx.writer.lastInstance(h.hostId, pid);
    if (last?.endNs !== undefined && last.endCertainty === 'inferred' && last.endNs >= t && last.startNs <= t) {
      if (certainty === 'observed') ctx.writer.endInstance(last.id, { endNs: t, certainty, ...exitFields(exitCode, exitSignal), ...(ev ? { evidence: ev } : {}) });
      return;
    }
    if (certainty === 'inferred') return; // nothing known to end
  }
  const p = touch(ctx, h, pid, t, ppid, ev);
  closeInstance(ctx, h, p, t, certainty, certainty === 'inferred' ? (e.inferredBecause ?? 'source-inferred') : undefined, exitCode, exitSignal, ev);
}
