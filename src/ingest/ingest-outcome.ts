import { EXIT_INCOMPLETE } from '../cli/user-error.js';
import { stoppedExitCode } from '../cli/commands/stop-signal.js';
import { stoppedLine, type IngestSummary } from './ingest-summary.js';

export interface IngestOutcome {
  /** 0: everything read; 1: no input held a record; 3 (EXIT_INCOMPLETE): some input could not be read. */
  exitCode: number;
  /** One line for the user when the exit status is not 0. */
  message?: string;
}

/**
 * What an ingest's exit status says, so a script (or a person skimming) never takes a run
 * that did not read its data for a success:
 * - nothing ingested: no input held an audit record or connector datagram (all empty, not
 *   logs, or unreadable) -> 1;
 * - partial: something was ingested, but some input could not be read (damaged .gz, no
 *   permission, a capture damaged in the middle) -> EXIT_INCOMPLETE;
 * - refused: an input does not continue the source its head matched, or repeats another
 *   source's records -> EXIT_INCOMPLETE, with the first refusal as the message;
 * - stopped by SIGINT / SIGTERM (plain ingest) -> 130 / 143, with where it stopped;
 * - otherwise 0 (an empty audit.log beside its rotated generations is normal: only noted).
 * Inputs already ingested or resumed count as holding records (they did when first read).
 */
export function ingestOutcome(s: IngestSummary): IngestOutcome {
  // Stopped by SIGINT/SIGTERM: 130/143 whatever was read, with where to continue.
  if (s.stopped !== undefined) return { exitCode: stoppedExitCode(s.stopped.signal), message: stoppedLine(s.stopped) };
  // A refused input (not the source it looked like, or a repeat of another) is readable
  // and was left out on purpose: partial, whatever else was read; its line says why.
  const refused = s.inputs.filter((i) => i.refused !== undefined);
  if (refused.length > 0) {
    const more = refused.length > 1 ? ` (and ${refused.length - 1} more input(s) refused: see the notes above)` : '';
    return { exitCode: EXIT_INCOMPLETE, message: `${refused[0]!.refused!}${more}` };
  }
  const unread = s.inputs.filter((i) => i.unread !== undefined);
  const yielded = s.inputs.some((i) => i.status !== 'skipped' && i.hasRecords !== false);
  const unreadText = `${unread.length} input(s) could not be read completely: ${unread.map((i) => i.path).join(', ')}`;
  // A follow that never found its log has no inputs: nothing to say.
  if (!yielded && s.inputs.length > 0) {
    const why = unread.length === 0 ? 'not an audit log?' : unreadText;
    return { exitCode: 1, message: `nothing ingested: no input held an audit record or connector datagram (${why}; see the notes above)` };
  }
  if (unread.length > 0) {
    return { exitCode: EXIT_INCOMPLETE, message: `partial ingest: ${unreadText} (everything before the problem is stored; see the notes above)` };
  }
  return { exitCode: 0 };
}
