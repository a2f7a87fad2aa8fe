import { isPostgresUrl, redactUrl } from '../../history/postgres/pg-url.js';
import { formatPushSummary } from '../../history/push/push-summary.js';
import { runPush, type PushOptions } from '../../history/push/run-push.js';
import type { Command } from '../command.js';
import { parseCommandArgs } from '../parse-command-args.js';
import { UsageError } from '../user-error.js';
import { takeWaitOption, WAIT_USAGE } from '../wait-option.js';

const USAGE = [
  'usage: proc-tree push [--db FILE] --to postgres://USER@HOST:PORT/DB [--host NAME] [--wait [SECONDS]] [--json]',
  '',
  'Ships a SQLite history (default ./proc-tree.db, or $PROC_TREE_DB) into a PostgreSQL history, so that',
  'it answers every query as an ingest of the same logs straight into PostgreSQL would. Incremental:',
  'only what changed since the last push is written; pushing again without a new ingest adds nothing.',
  'The file may be ingested into meanwhile (one consistent snapshot is pushed). Each host is written',
  'under its writer lock: an ingest of the same host into PostgreSQL at the same time is refused.',
  'After a push, ingesting the same files straight into PostgreSQL continues where the file stopped.',
  '  --to URL           the PostgreSQL history (created when empty)',
  '  --host NAME        name in PostgreSQL of the file\'s default host (records without node=,',
  '                     ingested without --host); default: kept as it is',
  '  --json             print the summary as JSON on stdout (the text summary always goes to stderr)',
  WAIT_USAGE,
  '',
  'Exit status: 0 pushed (or nothing new); 1 the file or the database cannot be used, or the host in',
  'PostgreSQL holds another history; 2 wrong invocation; 75 another process writes the host (see --wait).',
].join('\n');

const command: Command = {
  summary: 'ship a SQLite history into a PostgreSQL history, incrementally',
  usage: USAGE,
  async run(argv, io) {
    const { args, wait } = takeWaitOption(argv);
    const parsed = parseCommandArgs(
      {
        args,
        allowPositionals: false,
        strict: true,
        options: { db: { type: 'string' }, to: { type: 'string' }, host: { type: 'string' }, json: { type: 'boolean', default: false } },
      },
      USAGE,
      ['wait'],
    );
    const { values } = parsed;
    if (values.to === undefined) throw new UsageError(`--to postgres://... is required\n${USAGE}`);
    if (!isPostgresUrl(values.to)) throw new UsageError(`--to takes a PostgreSQL URL (postgres://USER@HOST:PORT/DB), got '${values.to}'`);
    const db = values.db ?? process.env.PROC_TREE_DB ?? './proc-tree.db';
    if (isPostgresUrl(db)) throw new UsageError(`--db names the SQLite file to push, got a PostgreSQL URL '${redactUrl(db)}'`);
    const options: PushOptions = { db, to: values.to };
    if (values.host !== undefined) options.host = values.host;
    if (wait !== undefined) options.waitS = wait;
    const summary = await runPush(options);
    io.stderr.write(formatPushSummary(summary, db, redactUrl(values.to)) + '\n');
    if (values.json) io.stdout.write(JSON.stringify(summary) + '\n');
    return 0;
  },
};

export default command;
