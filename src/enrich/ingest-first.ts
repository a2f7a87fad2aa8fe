import { ingestAsWriter } from '../ingest/ingest-as-writer.js';
import { ingestOutcome } from '../ingest/ingest-outcome.js';
import { commandLine } from '../ingest/writer-lock-holder.js';
import type { AcquireOptions } from '../ingest/writer-lock.js';

export interface IngestFirstOptions {
  /** `enrich`, `explain`: names the writer (lock holder) and prefixes notes. */
  command: string;
  argv: readonly string[];
  db: string;
  inputs: string[];
  host?: string;
  wait?: number;
  stdin: NodeJS.ReadableStream;
  stderr: NodeJS.WritableStream;
}

/**
 * Brings the history up to date with the inputs before a command reads them, through the
 * ingest command's own path (nothing to do when it already holds them: ingest is
 * idempotent). Returns the exit status so far: 0, or 3 when some input could not be read
 * completely; undefined when nothing could be ingested (the caller stops with 1; said on stderr).
 */
export async function ingestFirst(o: IngestFirstOptions): Promise<number | undefined> {
  const lock: AcquireOptions = { onNote: (line) => o.stderr.write(`proc-tree ${o.command}: ${line}\n`), ...(o.wait !== undefined ? { wait: o.wait } : {}) };
  const summary = await ingestAsWriter(
    { db: o.db, inputs: o.inputs, stdin: o.stdin, ...(o.host !== undefined ? { host: o.host } : {}) },
    { command: commandLine(o.command, o.argv), lock },
  );
  if (summary.lines > 0) o.stderr.write(`ingested ${summary.lines} line(s) into ${o.db} first\n`);
  const outcome = ingestOutcome(summary);
  if (outcome.message !== undefined) o.stderr.write(`proc-tree ${o.command}: ${outcome.message.replace('; see the notes above', '')}\n`);
  return outcome.exitCode === 1 ? undefined : outcome.exitCode;
}
