import { readFileSync } from 'node:fs';
import { createAuditdAdapter } from '../../adapters/auditd/index.js';
import type { ProcEvent } from '../../src/events/proc-event.js';

/**
 * The ProcEvents one auditd adapter makes of whole log files read in order (as an ingest of
 * them would), each line with its file, byte offset and line number. Empty lines are left out.
 */
export function captureEvents(files: readonly string[]): ProcEvent[] {
  const events: ProcEvent[] = [];
  const adapter = createAuditdAdapter({ onEvent: (e) => events.push(e), onWarning: () => {} });
  for (const file of files) {
    let offset = 0;
    let line = 1;
    // latin1: one char per byte, so offsets are byte offsets whatever the log holds.
    for (const text of readFileSync(file, 'latin1').split('\n')) {
      if (text.length > 0) adapter.pushLine(text, { file, offset, line });
      offset += text.length + 1;
      line++;
    }
  }
  adapter.finish();
  return events;
}
