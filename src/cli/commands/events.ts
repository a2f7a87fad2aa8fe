import { stat } from 'node:fs/promises';
import { createAuditdAdapter, type AuditdAdapterStats } from '../../../adapters/auditd/index.js';
import type { EventSink, IngestWarning } from '../../events/event-sink.js';
import type { ProcEvent } from '../../events/proc-event.js';
import { followFile } from '../../sources/follow-file.js';
import { createLineSplitter } from '../../sources/line-splitter.js';
import { openInputs, type OpenedInput } from '../../sources/open-inputs.js';
import { sniffFormat } from '../../sources/sniff-format.js';
import { formatTimeNs } from '../../time/format-time.js';
import { IDLE_HOLD_UNFINISHED_MS } from '../../ingest/idle-commit.js';
import type { CliIo, Command } from '../command.js';
import { parseCommandArgs } from '../parse-command-args.js';
import { UsageError, UserError } from '../user-error.js';

const USAGE = `usage: proc-tree events [--format auto|auditd] [--host NAME] [--json] [--follow] INPUT...

Prints the process events (fork, exec, exit, observed, loss) read from audit logs, in log
order, one per line; a summary (lines, events by kind, skipped lines by reason) goes to stderr.

INPUT     an audit log (plain, .gz, .zip), a directory of rotated logs (read oldest
          first: audit.log.N ... audit.log.1, audit.log), or - for stdin
--format  auto (default: sniff the content) or auditd
--host    host name for records without node= (multi-host logs keep their node= names)
--json    NDJSON: one event per line, times as ISO strings (time) and exact decimal
          nanoseconds (timestampNs)
--follow  keep reading one growing log across rotation (like tail -F); Ctrl-C ends

examples:
  proc-tree events /var/log/audit/audit.log
  proc-tree events --json /var/log/audit/ | jq 'select(.kind == "exec")'
  ausearch --raw -ts today | proc-tree events -`;

/** Warnings printed one by one before only counting them (a damaged 20 GB log could have millions). */
const MAX_WARNINGS_SHOWN = 20;
/** In --follow, open events are emitted after the log has been quiet this long. */
const FOLLOW_IDLE_FLUSH_MS = 1000;
/** Output is batched: one write per this many characters (NDJSON of a big log is large). */
const OUTPUT_BATCH_CHARS = 64 * 1024;

function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

export function eventToJson(event: ProcEvent): string {
  return JSON.stringify({ time: formatTimeNs(event.timestampNs), ...event }, jsonReplacer);
}

function quoteIfNeeded(text: string): string {
  return /^[\x21-\x7e]+$/.test(text) && !text.includes('"') ? text : JSON.stringify(text);
}

export function eventToText(event: ProcEvent): string {
  const parts = [formatTimeNs(event.timestampNs)];
  if (event.host !== undefined) parts.push(`host=${quoteIfNeeded(event.host)}`);
  parts.push(event.kind);
  switch (event.kind) {
    case 'fork':
      parts.push(`parent=${event.parentPid}`, `child=${event.childPid}`);
      if (event.parentPpid !== undefined) parts.push(`parent-ppid=${event.parentPpid}`);
      if (event.maybeThread) parts.push('maybe-thread');
      if (event.parentImage?.comm !== undefined) parts.push(`comm=${quoteIfNeeded(event.parentImage.comm)}`);
      break;
    case 'exec':
      parts.push(`pid=${event.pid}`);
      if (event.ppid !== undefined) parts.push(`ppid=${event.ppid}`);
      if (event.image.exe !== undefined) parts.push(`exe=${quoteIfNeeded(event.image.exe)}`);
      if (event.image.argv !== undefined) parts.push(`argv=${JSON.stringify(event.image.argv)}${event.image.argvTruncated ? '...' : ''}`);
      if (event.creds?.uid !== undefined) parts.push(`uid=${event.creds.uid}`);
      break;
    case 'exit':
      parts.push(`pid=${event.pid}`);
      if (event.exitCode !== undefined) parts.push(`code=${event.exitCode}`);
      break;
    case 'observed':
      parts.push(`pid=${event.pid}`);
      if (event.ppid !== undefined) parts.push(`ppid=${event.ppid}`);
      if (event.image?.comm !== undefined) parts.push(`comm=${quoteIfNeeded(event.image.comm)}`);
      break;
    case 'loss':
      if (event.count !== undefined) parts.push(`count=${event.count}`);
      parts.push(JSON.stringify(event.reason));
      break;
    default:
      if ('pid' in event) parts.push(`pid=${event.pid}`);
  }
  const ev = event.evidence;
  if (ev !== undefined) parts.push(`[${ev.file}${ev.line !== undefined ? `:${ev.line}` : `@${ev.offset}`}${ev.id !== undefined ? ` ${ev.id}` : ''}]`);
  return parts.join(' ');
}

function positionText(warning: IngestWarning): string {
  const p = warning.position;
  if (p === undefined) return '';
  return ` at ${p.file}${p.line !== undefined ? `:${p.line}` : ''} (byte ${p.offset})`;
}

export function summaryText(stats: AuditdAdapterStats): string {
  const kinds = Object.entries(stats.events)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ');
  const total = Object.values(stats.events).reduce((a, b) => a + (b ?? 0), 0);
  const lines = [
    `proc-tree events: ${stats.lines} lines, ${stats.records} records (${stats.ignoredRecords} of unused types), ` +
      `${stats.auditEvents} audit events -> ${total} process events${kinds ? ` (${kinds})` : ''}`,
  ];
  const skipped = Object.entries(stats.skipped);
  if (skipped.length > 0) lines.push(`skipped: ${skipped.map(([reason, n]) => `${reason} ${n}`).join(', ')}`);
  if (stats.lostEvents > 0) lines.push(`possible loss: ${stats.lostEvents} audit events missing (serial gaps)`);
  return lines.join('\n') + '\n';
}

async function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  if (!stream.write(text)) await new Promise<void>((resolve) => stream.once('drain', resolve));
}

function checkFormat(input: OpenedInput, format: string): void {
  if (format !== 'auto') return;
  const detected = sniffFormat(input.head);
  if (detected === 'auditd') return;
  if (detected === 'proc-connector') {
    throw new UserError(`${input.name} is a proc-connector capture, not an auditd log: events reads auditd logs`);
  }
  const firstLine = input.head.toString('latin1').split('\n').find((l) => l.trim() !== '' && !l.startsWith('#')) ?? '';
  throw new UserError(
    `${input.name} does not look like an auditd log (first line: ${JSON.stringify(firstLine.slice(0, 60))}); use --format auditd to read it anyway`,
  );
}

const command: Command = {
  summary: 'print the process events (fork/exec/exit) found in audit logs',
  usage: USAGE,
  async run(args: string[], io: CliIo): Promise<number> {
    const parsed = parseCommandArgs(
      {
        args,
        allowPositionals: true,
        options: {
          format: { type: 'string', default: 'auto' },
          host: { type: 'string' },
          json: { type: 'boolean', default: false },
          follow: { type: 'boolean', default: false },
        },
      },
      USAGE,
    );
    const { values, positionals: inputs } = parsed;
    const format = values.format!;
    if (format !== 'auto' && format !== 'auditd') throw new UsageError(`--format must be auto or auditd, not '${format}'`);
    if (inputs.length === 0) throw new UsageError(`give at least one INPUT (a log file, a directory or -)\n${USAGE.split('\n')[0]}`);
    if (values.follow && (inputs.length !== 1 || inputs[0] === '-')) throw new UsageError('--follow takes exactly one log file');
    // Fail before printing anything when an input is missing or unreadable.
    for (const input of inputs) {
      if (input === '-') continue;
      try {
        await stat(input);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        throw new UserError(`cannot open ${input}: ${code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : (error as Error).message}`);
      }
    }

    let pending: string[] = [];
    let pendingChars = 0;
    let warningsShown = 0;
    const sink: EventSink = {
      onEvent(event) {
        const line = values.json ? eventToJson(event) : eventToText(event);
        pending.push(line);
        pendingChars += line.length + 1;
      },
      onWarning(warning) {
        warningsShown++;
        if (warningsShown <= MAX_WARNINGS_SHOWN) {
          io.stderr.write(`warning: ${warning.reason}${positionText(warning)}${warning.detail ? `: ${warning.detail}` : ''}\n`);
        } else if (warningsShown === MAX_WARNINGS_SHOWN + 1) {
          io.stderr.write(`warning: more warnings not shown; the summary counts them all\n`);
        }
      },
    };
    const flush = async (force: boolean): Promise<void> => {
      if (pending.length === 0 || (!force && pendingChars < OUTPUT_BATCH_CHARS)) return;
      const text = pending.join('\n') + '\n';
      pending = [];
      pendingChars = 0;
      await write(io.stdout, text);
    };

    const adapter = createAuditdAdapter(sink, values.host === undefined ? {} : { host: values.host });
    const readInput = async (input: OpenedInput, signal?: AbortSignal): Promise<void> => {
      checkFormat(input, format);
      const splitter = createLineSplitter({
        file: input.name,
        startOffset: input.startOffset,
        ...(input.startOffset === 0 ? { startLine: 1 } : {}),
        onLine: (text, offset, line) => adapter.pushLine(text, line === undefined ? { file: input.name, offset } : { file: input.name, offset, line }),
        onSkip: (warning) => adapter.skipLine(warning),
      });
      // Following a live log: when it goes quiet, nothing later will complete the events
      // still open, so emit them after a short idle time instead of holding them back.
      let idle: NodeJS.Timeout | undefined;
      try {
        for await (const chunk of input.chunks) {
          if (idle !== undefined) clearTimeout(idle);
          splitter.push(chunk);
          await flush(values.follow);
          if (values.follow) {
            // A syscall event still waiting for its last record (PROCTITLE) is held longer:
            // printed cut short, its late records would only be reported as late.
            idle = setTimeout(() => {
              const held = adapter.flushPending({ holdUnfinished: true });
              void flush(true);
              if (held > 0) {
                idle = setTimeout(() => {
                  adapter.flushPending();
                  void flush(true);
                }, IDLE_HOLD_UNFINISHED_MS - FOLLOW_IDLE_FLUSH_MS);
              }
            }, FOLLOW_IDLE_FLUSH_MS);
          }
        }
      } finally {
        if (idle !== undefined) clearTimeout(idle);
      }
      if (!signal?.aborted) splitter.end();
    };

    if (values.follow) {
      const controller = new AbortController();
      const stop = (): void => controller.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        for await (const input of followFile(inputs[0]!, { signal: controller.signal })) await readInput(input, controller.signal);
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
    } else {
      for (const spec of inputs) {
        for await (const input of openInputs(spec, { stdin: io.stdin })) await readInput(input);
      }
    }
    adapter.finish();
    await flush(true);
    io.stderr.write(summaryText(adapter.stats()));
    return 0;
  },
};

export default command;
