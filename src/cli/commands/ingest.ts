import { parseArgs } from 'node:util';
import { formatSummary } from '../../ingest/ingest-summary.js';
import { runIngest, type IngestOptions } from '../../ingest/run-ingest.js';
import { parseTimeNs } from '../../time/parse-time.js';
import type { Command } from '../command.js';
import { UsageError } from '../user-error.js';

const USAGE = [
  'usage: proc-tree ingest [--db FILE] [--format auto|auditd|proc-connector] [--host NAME] [--boot-time EPOCH_SECONDS] [--json] INPUT...',
  '',
  'Reads audit logs or proc-connector captures into the history database (default ./proc-tree.db).',
  'INPUT: a file (plain, .gz, .zip), a directory of rotated logs (read oldest first), or - for stdin.',
  'Running it again changes nothing; an appended log continues where it stopped; a killed run resumes.',
  '  --host NAME        host for records without node= (and for connector captures)',
  '  --boot-time S      connector captures: wall-clock time at boot, overrides FILE.meta.json',
  '  --commit-every N   commit after about N lines (default 200000; also every 2 s)',
  '  --json             print the summary as JSON on stdout (the text summary always goes to stderr)',
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
        },
      });
    } catch (error) {
      throw new UsageError(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    }
    const { values, positionals } = parsed;
    if (positionals.length === 0) throw new UsageError(`no INPUT given\n${USAGE}`);
    if (values.follow) throw new UsageError('--follow is not available yet: ingest the rotated files, then run ingest again later (it continues where it stopped)');
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
    const summary = await runIngest(options);
    io.stderr.write(formatSummary(summary) + '\n');
    if (values.json) {
      io.stdout.write(JSON.stringify(summary, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) + '\n');
    }
    return 0;
  },
};

export default command;
