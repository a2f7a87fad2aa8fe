import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { formatSummary } from '../../ingest/ingest-summary.js';
import { runIngest, type IngestOptions } from '../../ingest/run-ingest.js';
import { runFollowIngest } from '../../ingest/follow-ingest.js';
import { parseTimeNs } from '../../time/parse-time.js';
import type { Command } from '../command.js';
import { UsageError } from '../user-error.js';
import { stopSignal } from './stop-signal.js';

const USAGE = [
  'usage: proc-tree ingest [--db FILE] [--format auto|auditd|proc-connector] [--host NAME] [--boot-time EPOCH_SECONDS] [--json] INPUT...',
  '       proc-tree ingest --follow [--db FILE] [--host NAME] [--duration SECONDS] [--json] AUDIT_LOG',
  '',
  'Reads audit logs or proc-connector captures into the history database (default ./proc-tree.db).',
  'INPUT: a file (plain, .gz, .zip), a directory of rotated logs (read oldest first), or - for stdin.',
  'Running it again changes nothing; an appended log continues where it stopped; a killed run resumes.',
  '  --host NAME        host for records without node= (and for connector captures)',
  '  --boot-time S      connector captures: wall-clock time at boot, overrides FILE.meta.json',
  '  --commit-every N   commit after about N lines (default 200000; also every 2 s)',
  '  --json             print the summary as JSON on stdout (the text summary always goes to stderr)',
  '  --follow           keep reading a growing audit.log across rotation (like tail -F) until Ctrl-C;',
  '                     new events are queryable within ~2 s; a restart continues where it stopped',
  '  --duration S       with --follow: stop after S seconds',
].join('\n');

const command: Command = {
  summary: 'read audit logs or proc-connector captures into the history database',
  usage: USAGE,
  async run(args, io) {
    let parsed;
    try {
      parsed = parseArgs({
        args,
        allowPositionals: true,
        strict: true,
        options: {
          db: { type: 'string', default: './proc-tree.db' },
          format: { type: 'string', default: 'auto' },
          host: { type: 'string' },
          'boot-time': { type: 'string' },
          json: { type: 'boolean', default: false },
          follow: { type: 'boolean', default: false },
          'commit-every': { type: 'string' },
          duration: { type: 'string' },
        },
      });
    } catch (error) {
      throw new UsageError(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    }
    const { values, positionals } = parsed;
    if (positionals.length === 0) throw new UsageError(`no INPUT given\n${USAGE}`);
    if (values.duration !== undefined && !values.follow) throw new UsageError('--duration applies to --follow only');
    const format = values.format;
    if (format !== 'auto' && format !== 'auditd' && format !== 'proc-connector') {
      throw new UsageError(`--format must be auto, auditd or proc-connector, got '${format}'`);
    }
    const options: IngestOptions = { db: values.db!, inputs: positionals, format, stdin: io.stdin };
    if (values.host !== undefined) options.host = values.host;
    if (values['boot-time'] !== undefined) options.bootTimeNs = parseTimeNs(values['boot-time']);
    const every = values['commit-every'];
    if (every !== undefined) {
      if (!/^\d+$/.test(every) || Number(every) === 0) throw new UsageError(`--commit-every must be a positive number of lines, got '${every}'`);
      options.commitEveryLines = Number(every);
    }
    const summary = values.follow ? await follow(options, positionals, values.duration, io.stderr) : await runIngest(options);
    io.stderr.write(formatSummary(summary) + '\n');
    if (values.json) {
      io.stdout.write(JSON.stringify(summary, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) + '\n');
    }
    return 0;
  },
};

/** `--follow`: one plain audit log, read until SIGINT/SIGTERM or `--duration`. */
async function follow(options: IngestOptions, positionals: string[], duration: string | undefined, stderr: NodeJS.WritableStream) {
  if (positionals.length !== 1 || positionals[0] === '-') {
    throw new UsageError(`--follow reads one log file (e.g. /var/log/audit/audit.log); for stdin, pipe into 'proc-tree ingest -' instead`);
  }
  if (options.bootTimeNs !== undefined) throw new UsageError('--boot-time applies to proc-connector captures, not to --follow');
  if (options.format === 'proc-connector') throw new UsageError('--follow reads audit logs; for live kernel events use proc-tree capture or watch');
  const durationS = duration === undefined ? undefined : Number(duration);
  if (durationS !== undefined && !(Number.isFinite(durationS) && durationS > 0)) {
    throw new UsageError(`--duration must be a positive number of seconds, got '${duration}'`);
  }
  const path = positionals[0]!;
  const info = await stat(path).catch(() => undefined); // absent is fine: it is waited for
  if (info === undefined && (await stat(dirname(path)).catch(() => undefined))?.isDirectory() !== true) {
    throw new UsageError(`cannot follow ${path}: no directory ${dirname(path)} (a typo?)`);
  }
  if (info !== undefined && !info.isFile()) throw new UsageError(`--follow needs the log file itself, not ${info.isDirectory() ? 'a directory' : 'a pipe or device'}: e.g. ${path.replace(/\/$/, '')}/audit.log`);
  const stop = stopSignal(durationS);
  try {
    stderr.write(`following ${path} into ${options.db}${durationS ? ` for ${durationS}s` : ''}; Ctrl-C to stop\n`);
    return await runFollowIngest({
      db: options.db,
      path,
      signal: stop.signal,
      ...(options.host !== undefined ? { host: options.host } : {}),
      ...(options.commitEveryLines !== undefined ? { commitEveryLines: options.commitEveryLines } : {}),
    });
  } finally {
    stop.dispose();
  }
}

export default command;
