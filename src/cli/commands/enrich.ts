import { auditEvents, newAuditEventStreamStats } from '../../enrich/audit-event-stream.js';
import { toEcsEvent } from '../../enrich/ecs-event.js';
import { ingestFirst } from '../../enrich/ingest-first.js';
import { enrichEvents, type EnrichOptions } from '../../enrich/enrich-events.js';
import { toNdjsonEvent } from '../../enrich/ndjson-event.js';
import { SkipCounts } from '../../enrich/skip-counts.js';
import { openStore } from '../../history/query-cli-args.js';
import { LineWriter } from '../../output/line-writer.js';
import { openOutput } from '../../output/open-output.js';
import type { Command } from '../command.js';
import { parseCommandArgs } from '../parse-command-args.js';
import { UsageError } from '../user-error.js';
import { takeWaitOption, WAIT_USAGE } from '../wait-option.js';

const USAGE = [
  'usage: proc-tree enrich INPUT... [--db FILE|URL] [--format ndjson|ecs] [--types T,...] [--host NAME] [--no-ingest] [-o FILE]',
  '',
  'Every audit event of the audit logs INPUT (any record type: SYSCALL, USER_LOGIN, AVC, ...), one',
  'JSON object per line in log order, with its records and the acting process as the history',
  'knew it at that event: pid, entity id (the one `export` writes), executable, args, user, and',
  'proc_tree.ancestry, its chain at that time, self first ({pid, entity_id, executable, args,',
  'start, start_known}), with proc_tree.uncertain and the reasons (as `ancestry --at` says them).',
  'The inputs are ingested into the history first (as `proc-tree ingest`; nothing to do when it',
  'already holds them).',
  '',
  '  --format ndjson   (default) {event:{id,time,types}, host, records:[{type,fields}], process, proc_tree, log}',
  '  --format ecs      ECS 9.x NDJSON as `export` writes it: event.id = the audit id, process.*,',
  '                    host.name, log.file.path/offset; the records under auditd.records',
  '  --types T,...     only events holding a record of one of these types (e.g. USER_LOGIN,AVC)',
  '  --db FILE|URL     history: a SQLite file or postgres:// URL (default: $PROC_TREE_DB, PG*, ./proc-tree.db)',
  '  --host NAME       host for records without node= (as ingest --host)',
  '  --no-ingest       use the history as it is (a write-protected copy): events it does not',
  '                    cover get no ancestry',
  '  -o, --output FILE write there instead of stdout',
  WAIT_USAGE,
  '',
  'INPUT: a file (plain, .gz, .zip) or a directory of rotated logs; not stdin (read twice).',
  'Damaged lines are counted and skipped (stderr says how many and where the first was). The',
  'same input and database give byte-identical output.',
  'Exit status: 0 done; 1 nothing to read (no audit record in INPUT); 2 wrong invocation; 3 some',
  'input could not be read completely (what was read is enriched).',
  '',
  'examples:',
  '  proc-tree enrich /var/log/audit --db host1.db -o events.ndjson',
  '  proc-tree enrich --format ecs --types USER_LOGIN,USER_AUTH audit.log | jq -c \'[.event.id, [.proc_tree.ancestry[].executable]]\'',
].join('\n');

const FORMATS = {
  ndjson: toNdjsonEvent,
  ecs: toEcsEvent,
} as const;

const command: Command = {
  summary: 'every audit event of a log as NDJSON/ECS, with its process and ancestry at that time',
  usage: USAGE,
  async run(argv, io) {
    const { args, wait } = takeWaitOption(argv);
    const { values, positionals } = parseCommandArgs(
      {
        args,
        allowPositionals: true,
        options: {
          db: { type: 'string' },
          format: { type: 'string', default: 'ndjson' },
          types: { type: 'string' },
          host: { type: 'string' },
          'no-ingest': { type: 'boolean', default: false },
          output: { type: 'string', short: 'o' },
        },
      },
      USAGE,
    );
    if (positionals.length === 0) throw new UsageError(`no INPUT given\n${USAGE}`);
    if (positionals.includes('-')) throw new UsageError('enrich reads its input twice (ingest, then enrich): give a file or directory, not - (stdin)');
    const formatName = values.format!;
    if (!(formatName in FORMATS)) throw new UsageError(`unknown --format '${formatName}': use ndjson or ecs`);
    const render = FORMATS[formatName as keyof typeof FORMATS];
    const options: EnrichOptions = {};
    if (values.host !== undefined) options.host = values.host;
    if (values.types !== undefined) options.types = parseTypes(values.types);
    const db = values.db ?? process.env.PROC_TREE_DB ?? './proc-tree.db';

    let exitCode = 0;
    if (!values['no-ingest']) {
      const ingested = await ingestFirst({
        command: 'enrich', argv, db, inputs: positionals, stdin: io.stdin, stderr: io.stderr,
        ...(values.host !== undefined ? { host: values.host } : {}),
        ...(wait !== undefined ? { wait } : {}),
      });
      if (ingested === undefined) return 1;
      exitCode = ingested;
    }

    const store = await openStore(db);
    try {
      const output = await openOutput(values.output, io.stdout);
      const writer = new LineWriter(output.out);
      const stats = newAuditEventStreamStats();
      const skips = new SkipCounts();
      let written = 0;
      let withoutAncestry = 0;
      await store.read(async (reader) => {
        for await (const e of enrichEvents(reader, auditEvents(positionals, stats, { onWarning: skips.add }), options)) {
          await writer.write(JSON.stringify(render(e)) + '\n');
          written++;
          if (e.ancestry === undefined) withoutAncestry++;
        }
      });
      await writer.flush();
      await output.close();
      const filtered = options.types === undefined ? '' : ` (of ${stats.events}, by --types)`;
      io.stderr.write(
        `enriched ${written} event(s)${filtered}${values.output !== undefined ? ` to ${values.output}` : ''}: ${written - withoutAncestry} with an ancestry, ${withoutAncestry} without (see proc_tree.uncertainty)\n` +
          `lines: ${stats.lines}   records: ${stats.records}${stats.lateRecords > 0 ? `   late records (after their event was written): ${stats.lateRecords}` : ''}\n` +
          `skipped records: ${skips}\n`,
      );
      return exitCode;
    } finally {
      await store.close();
    }
  },
};

/** `--types SYSCALL,user_login` -> {SYSCALL, USER_LOGIN}: record types are upper case in logs. */
function parseTypes(text: string): Set<string> {
  const types = text
    .split(',')
    .map((t) => t.trim().toUpperCase())
    .filter((t) => t.length > 0);
  if (types.length === 0) throw new UsageError(`--types needs record types, e.g. --types SYSCALL,USER_LOGIN`);
  for (const t of types) if (!/^[A-Z0-9_[\]]+$/.test(t)) throw new UsageError(`--types: '${t}' is not a record type (e.g. SYSCALL, USER_LOGIN, AVC)`);
  return new Set(types);
}

export default command;
