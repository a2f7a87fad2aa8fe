import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isPostgresUrl, redactUrl } from '../../history/postgres/pg-url.js';
import { writerDb } from '../../history/open-history-store.js';
import { checkDbPath } from '../../ingest/check-db-path.js';
import { absentDbFiles, discardCreatedEmptyDb } from '../../ingest/discard-empty-db.js';
import { ingestOutcome } from '../../ingest/ingest-outcome.js';
import { formatSummary, type IngestSummary } from '../../ingest/ingest-summary.js';
import type { IngestOptions } from '../../ingest/run-ingest.js';
import { ingestAsWriter, type WriterSetup } from '../../ingest/ingest-as-writer.js';
import { runFollowIngest } from '../../ingest/follow-ingest.js';
import { commandLine } from '../../ingest/writer-lock-holder.js';
import { asOnlyWriter } from '../../ingest/writer-lock-for.js';
import type { AcquireOptions } from '../../ingest/writer-lock.js';
import { parseTimeNs } from '../../time/parse-time.js';
import type { Command } from '../command.js';
import { parseCommandArgs } from '../parse-command-args.js';
import { UsageError, UserError } from '../user-error.js';
import { takeWaitOption, WAIT_USAGE } from '../wait-option.js';
import { parseDurationS, stopSignal } from './stop-signal.js';

const USAGE = [
  'usage: proc-tree ingest [--db FILE|URL] [--format auto|auditd|proc-connector] [--host NAME] [--boot-time EPOCH_SECONDS] [--source-name NAME] [--no-loss-detection] [--wait [SECONDS]] [--json] INPUT...',
  '       proc-tree ingest --follow [--db FILE|URL] [--host NAME] [--duration SECONDS] [--no-loss-detection] [--wait [SECONDS]] [--json] AUDIT_LOG',
  '',
  'Reads audit logs or proc-connector captures into the history database (default $PROC_TREE_DB, else\nPostgreSQL when PGHOST or PGDATABASE is set, else ./proc-tree.db). --db also takes a PostgreSQL URL, postgres://USER@HOST:PORT/DB: one ingest per host at a time.',
  'INPUT: a file (plain, .gz, .zip), a directory of rotated logs (read oldest first), or - for stdin.',
  'Running it again changes nothing; an appended log continues where it stopped; a killed run resumes.',
  '  --host NAME        host for records without node= (and for connector captures)',
  '  --boot-time S      connector captures: wall-clock time at boot, overrides FILE.meta.json',
  '  --source-name NAME the name stdin (-) is recorded under, e.g. the path of the log piped in: evidence',
  '                     cites NAME instead of -, and explain/report without INPUT read NAME (if it exists)',
  '  --commit-every N   commit after about N lines (default 200000; also every 2 s)',
  '  --json             print the summary as JSON on stdout (the text summary always goes to stderr)',
  '  --follow           keep reading a growing audit.log across rotation (like tail -F) until Ctrl-C;',
  '                     new events are queryable within ~2 s; a restart continues where it stopped',
  '  --duration S       with --follow: stop after S seconds',
  '  --no-loss-detection  do not report audit serial gaps as lost events: for logs filtered with',
  '                     grep or ausearch, whose gaps are the records left out, not losses',
  WAIT_USAGE,
  '',
  'Exit status: 0 all input read; 1 nothing ingested (no input held a record: empty, not an audit',
  'log, unreadable; a --db file this run created is removed again) or an INPUT or --db that cannot be',
  'opened; 2 wrong invocation; 3 partial: the rest is stored, and the summary names each input left',
  'out and why: it could not be read to its end (a damaged .gz, zip or capture: stored up to the',
  'damage; no permission; gone since listed), or it was refused: it starts like a log ingested',
  'before but does not continue it (an edited copy, a log that went on differently), or it repeats',
  'records already ingested from another input (a concatenation, copy or extract of logs ingested',
  'before, or a log ingested before as part of one, e.g. rotated logs piped to - together); 74 the',
  'disk filled up (what was committed is kept: free space and run the same command again); 75 another',
  'process is writing the database (see --wait); 130 / 143 stopped by SIGINT (Ctrl-C) / SIGTERM: what',
  'was read is committed up to a resume point, the database is left whole (no -wal/-shm), and the',
  'last line says how far it got: run the same command again to continue (a second Ctrl-C exits at once,',
  'keeping the last commit).',
].join('\n');

/** One line: stdin's evidence is recorded as `-`, which no later command can open again. */
const STDIN_WARNING =
  "proc-tree ingest: reading stdin (-): evidence will cite '-', which explain and report cannot re-read later; pass the log's path instead, or --source-name PATH to record where it came from";

const command: Command = {
  summary: 'read audit logs or proc-connector captures into the history database',
  usage: USAGE,
  async run(argv, io) {
    const { args, wait } = takeWaitOption(argv);
    const parsed = parseCommandArgs(
      {
        args,
        allowPositionals: true,
        strict: true,
        options: {
          db: { type: 'string' },
          format: { type: 'string', default: 'auto' },
          host: { type: 'string' },
          'boot-time': { type: 'string' },
          'source-name': { type: 'string' },
          json: { type: 'boolean', default: false },
          follow: { type: 'boolean', default: false },
          'commit-every': { type: 'string' },
          duration: { type: 'string' },
          'no-loss-detection': { type: 'boolean', default: false },
        },
      },
      USAGE,
      ['wait'],
    );
    const { values, positionals } = parsed;
    if (positionals.length === 0) throw new UsageError(`no INPUT given\n${USAGE}`);
    if (values.duration !== undefined && !values.follow) throw new UsageError('--duration applies to --follow only');
    const format = values.format;
    if (format !== 'auto' && format !== 'auditd' && format !== 'proc-connector') {
      throw new UsageError(`--format must be auto, auditd or proc-connector, got '${format}'`);
    }
    const options: IngestOptions = { db: writerDb(values.db), inputs: positionals, format, stdin: io.stdin, stopOnSignal: true };
    if (values.host !== undefined) options.host = values.host;
    if (values['boot-time'] !== undefined) options.bootTimeNs = parseTimeNs(values['boot-time']);
    const every = values['commit-every'];
    if (every !== undefined) {
      if (!/^\d+$/.test(every) || Number(every) === 0) throw new UsageError(`--commit-every must be a positive number of lines, got '${every}'`);
      options.commitEveryLines = Number(every);
    }
    if (values['no-loss-detection']) options.detectLoss = false;
    const sourceName = values['source-name'];
    if (sourceName !== undefined) {
      if (!positionals.includes('-') || values.follow) throw new UsageError('--source-name names stdin: give - as INPUT (e.g. ssh host cat /var/log/audit/audit.log | proc-tree ingest --source-name host:/var/log/audit/audit.log -)');
      if (sourceName.trim() === '' || sourceName === '-' || /[\x00-\x1f\x7f]/.test(sourceName)) throw new UsageError(`--source-name needs a name without control characters, other than -, got ${JSON.stringify(sourceName)}`);
      options.stdinName = sourceName;
    } else if (positionals.includes('-') && !values.follow) io.stderr.write(`${STDIN_WARNING}\n`);
    const lock: AcquireOptions = { onNote: (line) => io.stderr.write(`proc-tree ingest: ${line}\n`), ...(wait !== undefined ? { wait } : {}) };
    const writer = { command: commandLine('ingest', argv), lock };
    if (values.follow) return report(await follow(options, positionals, values.duration, io.stderr, writer), values.json, io);
    // A run that stores nothing (README.md as INPUT, --format proc-connector on an audit log)
    // leaves no empty history behind, unless the file was there before.
    const absentBefore = isPostgresUrl(options.db) ? [] : await absentDbFiles(options.db);
    const removed = `nothing stored: removed ${options.db}, which this run had created`;
    let exitCode: number;
    try {
      exitCode = report(await ingestAsWriter(options, writer), values.json, io);
    } catch (error) {
      if (await discardCreatedEmptyDb(options.db, absentBefore)) {
        // The reason first (run-cli prints it), then what was cleaned up.
        if (error instanceof UserError) error.after.push(removed);
        else io.stderr.write(`proc-tree ingest: ${removed}\n`);
      }
      throw error;
    }
    if (exitCode === NOTHING_INGESTED && (await discardCreatedEmptyDb(options.db, absentBefore))) io.stderr.write(`proc-tree ingest: ${removed}\n`);
    return exitCode;
  },
};

/** ingestOutcome's status when no input held a record. */
const NOTHING_INGESTED = 1;

/** The summary on stderr (and stdout with --json), then the outcome line; returns the exit status. */
function report(summary: IngestSummary, json: boolean | undefined, io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }): number {
  io.stderr.write(formatSummary(summary) + '\n');
  if (json === true) io.stdout.write(JSON.stringify(summary, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) + '\n');
  const outcome = ingestOutcome(summary);
  if (outcome.message !== undefined) io.stderr.write(`proc-tree ingest: ${outcome.message}\n`);
  return outcome.exitCode;
}

/** `--follow`: one plain audit log, read until SIGINT/SIGTERM or `--duration`. */
async function follow(options: IngestOptions, positionals: string[], duration: string | undefined, stderr: NodeJS.WritableStream, writer: WriterSetup) {
  if (positionals.length !== 1 || positionals[0] === '-') {
    throw new UsageError(`--follow reads one log file (e.g. /var/log/audit/audit.log); for stdin, pipe into 'proc-tree ingest -' instead`);
  }
  if (options.bootTimeNs !== undefined) throw new UsageError('--boot-time applies to proc-connector captures, not to --follow');
  if (options.format === 'proc-connector') throw new UsageError('--follow reads audit logs; for live kernel events use proc-tree capture or watch');
  const durationS = parseDurationS(duration);
  const path = positionals[0]!;
  const info = await stat(path).catch(() => undefined); // absent is fine: it is waited for
  if (info === undefined && (await stat(dirname(path)).catch(() => undefined))?.isDirectory() !== true) {
    throw new UsageError(`cannot follow ${path}: no directory ${dirname(path)} (a typo?)`);
  }
  if (info !== undefined && !info.isFile()) throw new UsageError(`--follow needs the log file itself, not ${info.isDirectory() ? 'a directory' : 'a pipe or device'}: e.g. ${path.replace(/\/$/, '')}/audit.log`);
  const pg = isPostgresUrl(options.db);
  if (!pg) await checkDbPath(options.db);
  // The lock is taken before Ctrl-C is caught: a queued follow (--wait) is stopped by it
  // at once, holding nothing; --duration counts from when it starts writing.
  const run = async () => {
    const stop = stopSignal(durationS);
    try {
      stderr.write(`following ${path} into ${redactUrl(options.db)}${durationS ? ` for ${durationS}s` : ''}; Ctrl-C to stop\n`);
      return await runFollowIngest({
        db: options.db,
        path,
        signal: stop.signal,
        ...(options.host !== undefined ? { host: options.host } : {}),
        ...(options.commitEveryLines !== undefined ? { commitEveryLines: options.commitEveryLines } : {}),
        ...(options.detectLoss !== undefined ? { detectLoss: options.detectLoss } : {}),
        // PostgreSQL: the follow's own per-host advisory lock (pg-writer-lock.ts).
        ...(pg && writer.lock.wait !== undefined ? { waitS: writer.lock.wait } : {}),
      });
    } finally {
      stop.dispose();
    }
  };
  return pg ? run() : asOnlyWriter(options.db, writer.command, writer.lock, run);
}

export default command;
