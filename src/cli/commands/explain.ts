import { actionOf, categoriesOf, outcomeOf } from '../../enrich/ecs-event.js';
import type { EnrichedEvent } from '../../enrich/enrich-events.js';
import { checkEventInputs, enrichOne, findAuditEvent, parseEventId } from '../../enrich/event-by-id.js';
import { ingestFirst } from '../../enrich/ingest-first.js';
import { toNdjsonEvent } from '../../enrich/ndjson-event.js';
import { linkEntityId } from '../../enrich/ancestry-fields.js';
import { ancestryText } from '../../history/ancestry-text.js';
import { openStore, toJsonLine, userText } from '../../history/query-cli-args.js';
import { formatTimeNs } from '../../time/format-time.js';
import type { Command } from '../command.js';
import { parseCommandArgs } from '../parse-command-args.js';
import { printableText } from '../printable-text.js';
import { UsageError } from '../user-error.js';
import { takeWaitOption, WAIT_USAGE } from '../wait-option.js';

const USAGE = [
  'usage: proc-tree explain EVENT_ID INPUT... [--db FILE] [--host NAME] [--no-ingest] [--json]',
  '',
  'One audit event of the logs INPUT, for a person: what it was (action, outcome), where it is',
  'in the log, its records with their fields decoded, the process that acted (pid, executable,',
  'arguments, user, start, entity id) and that process\'s ancestry at the event, self first, as',
  '`proc-tree ancestry PID --at audit(EVENT_ID)` gives it, uncertainty included. The inputs are',
  'ingested into the history first, as by `proc-tree enrich` (nothing to do when it holds them).',
  '',
  '  EVENT_ID          the audit id from a log line: 1796280983.178:489816 or audit(1796280983.178:489816)',
  '  --host NAME       the event\'s host, when several hosts\' logs use the same id (and for records without node=)',
  '  --db FILE         history database (default ./proc-tree.db, or $PROC_TREE_DB)',
  '  --no-ingest       use the history as it is',
  '  --json            the event as one `enrich` NDJSON object',
  WAIT_USAGE,
  '',
  'Exit status: 0 explained; 1 no such event in INPUT; 2 wrong invocation.',
  '',
  'examples:',
  '  proc-tree explain \'audit(1796280983.178:489816)\' /var/log/audit --db host1.db',
  '  proc-tree explain 1796280983.178:489816 audit.log --json | jq .proc_tree.ancestry',
].join('\n');

const command: Command = {
  summary: 'one audit event for a person: its records, the acting process and its ancestry then',
  usage: USAGE,
  async run(argv, io) {
    const { args, wait } = takeWaitOption(argv);
    const { values, positionals } = parseCommandArgs(
      {
        args,
        allowPositionals: true,
        options: { db: { type: 'string' }, host: { type: 'string' }, 'no-ingest': { type: 'boolean', default: false }, json: { type: 'boolean', default: false } },
      },
      USAGE,
    );
    const [idText, ...inputs] = positionals;
    if (idText === undefined) throw new UsageError(`no EVENT_ID given\n${USAGE}`);
    const id = parseEventId(idText);
    checkEventInputs(inputs, 'explain', USAGE);
    const db = values.db ?? process.env.PROC_TREE_DB ?? './proc-tree.db';
    if (!values['no-ingest']) {
      const ingested = await ingestFirst({
        command: 'explain', argv, db, inputs, stdin: io.stdin, stderr: io.stderr,
        ...(values.host !== undefined ? { host: values.host } : {}),
        ...(wait !== undefined ? { wait } : {}),
      });
      if (ingested === undefined) return 1;
    }
    const found = await findAuditEvent(inputs, id, values.host);
    const store = await openStore(db);
    try {
      const enriched = await store.read((reader) => enrichOne(reader, found, values.host));
      io.stdout.write(values.json ? toJsonLine(toNdjsonEvent(enriched)) : explanation(enriched));
      return 0;
    } finally {
      await store.close();
    }
  },
};

/** `key=value` with the value quoted when it holds a space or a quote, escaped for a terminal. */
function fieldText(key: string, value: string): string {
  const shown = printableText(value);
  return `${key}=${/[\s"]/.test(shown) || shown === '' ? `"${shown.replace(/"/g, '\\"')}"` : shown}`;
}

function explanation(e: EnrichedEvent): string {
  const outcome = outcomeOf(e.records);
  const types = [...new Set(e.records.map((r) => r.type))];
  const lines = [
    `event ${e.id} at ${formatTimeNs(e.subject.timeNs)}${e.host !== '' ? ` on host ${printableText(e.host)}` : ''}`,
    `  what:  ${actionOf(e.records)}${outcome !== undefined ? ` (${outcome})` : ''} [${categoriesOf(types, types.includes('SYSCALL')).join(', ')}]`,
    `  where: ${printableText(e.position.file)}${e.position.line !== undefined ? `:${e.position.line}` : ''} (byte ${e.position.offset})`,
    'records:',
    ...e.records.map((r) => `  ${r.type} ${Object.entries(r.fields).map(([k, v]) => fieldText(k, v)).join(' ')}`),
  ];
  const a = e.ancestry;
  const self = a?.chain[0];
  if (a === undefined || self === undefined) {
    lines.push(`process: ${e.subject.pid === undefined ? 'none named' : `pid ${e.subject.pid}`}: ${e.noAncestry ?? 'not in the history'}`);
    return lines.join('\n') + '\n';
  }
  const id = linkEntityId(a.host, self);
  lines.push(
    `process: pid ${self.pid} ${printableText(self.exe ?? self.comm ?? '?')}, user ${userText(self.user, self.uid)}, ` +
      `${self.startKnown ? 'started' : 'seen since'} ${self.startNs === undefined ? '?' : formatTimeNs(self.startNs)}${id !== undefined ? `, entity_id ${id}` : ''}`,
  );
  if (self.argv !== undefined) lines.push(`  args: ${printableText(JSON.stringify(self.argv))}`);
  lines.push('ancestry at the event (self first):');
  return lines.join('\n') + '\n' + ancestryText(a);
}

export default command;
