import { actionOf, categoriesOf, outcomeOf } from '../../enrich/ecs-event.js';
import type { EnrichedEvent } from '../../enrich/enrich-events.js';
import { SOURCE_CHANGED_EXIT, warnChangedSources } from '../../enrich/changed-sources.js';
import { checkEventInputs, enrichOne, eventSearchInputs, findAuditEvent, parseEventId } from '../../enrich/event-by-id.js';
import { eventFile, eventFileText } from '../../enrich/event-file.js';
import { errnoText, eventSocket, eventSocketText, syscallErrno } from '../../enrich/event-socket.js';
import { ingestFirst } from '../../enrich/ingest-first.js';
import { toNdjsonEvent } from '../../enrich/ndjson-event.js';
import { linkEntityId } from '../../enrich/ancestry-fields.js';
import { ancestryText } from '../../history/ancestry-text.js';
import { processContextInSnapshot, type ProcessContext } from '../../history/process-context.js';
import { renderTreeNotes, renderTreeText, treeNodeJson } from '../../history/render-tree.js';
import { timelineEntryJson, timelineEntryText } from '../../history/timeline-text.js';
import { openStore, toJsonLine, userText } from '../../history/query-cli-args.js';
import { formatTimeNs } from '../../time/format-time.js';
import type { AssembledEvent } from '../../../adapters/auditd/reassemble.js';
import { eventSubject } from '../../enrich/event-subject.js';
import type { HistoryReader } from '../../history/history-store.js';
import { hostOfEventPid } from '../../history/resolve-host.js';
import type { Command } from '../command.js';
import { parseCommandArgs } from '../parse-command-args.js';
import { printableText } from '../printable-text.js';
import { UsageError, UserError } from '../user-error.js';
import { takeWaitOption, WAIT_USAGE } from '../wait-option.js';

const USAGE = [
  'usage: proc-tree explain EVENT_ID [INPUT...] [--db FILE] [--host NAME] [--window SECONDS] [--no-ingest] [--json]',
  '',
  'One audit event of the logs INPUT, for a person: what it was (action, outcome, a failure\'s',
  'errno, a SOCKADDR address decoded), where it is in the log, its records with their fields',
  'decoded, the process that acted (pid, executable, arguments, user, start, entity id) and',
  'that process\'s ancestry at the event, self first, as',
  '`proc-tree ancestry PID --at audit(EVENT_ID)` gives it, uncertainty included; then, within',
  '--window seconds either side of the event, its siblings (the parent\'s other children) and its',
  'descendants, and that process\'s recorded life (start, parents, execs, end, with evidence).',
  'The inputs are ingested into the history first, as by `proc-tree enrich` (nothing to do when',
  'it holds them). Without INPUT the event is read from the logs the history was ingested from.',
  '',
  '  EVENT_ID          the audit id from a log line: 1796280983.178:489816 or audit(1796280983.178:489816)',
  '  --host NAME       the event\'s host, when several hosts\' logs use the same id (and for records without node=)',
  '  --db FILE         history database (default ./proc-tree.db, or $PROC_TREE_DB)',
  '  --window SECONDS  half the context window around the event (default 5)',
  '  --no-ingest       use the history as it is',
  '  --json            the event as one `enrich` NDJSON object, plus proc_tree.context {window, siblings,',
  '                    descendants, timeline} (siblings and descendants as `descendants --json` nodes)',
  WAIT_USAGE,
  '',
  'Exit status: 0 explained; 1 no such event in INPUT, or an event without node= whose pid is on',
  'several hosts of the history (pass --host NAME); 2 wrong invocation; 3 explained, but a log the',
  'event\'s records were read from changed since it was ingested (its sha256 differs: the output, stderr',
  'and --json\'s proc_tree.source_changed: true say so; the records shown are today\'s file, the chain the history\'s).',
  '',
  'examples:',
  '  proc-tree explain \'audit(1796280983.178:489816)\' /var/log/audit --db host1.db',
  '  proc-tree explain 1796280983.178:489816 audit.log --json | jq .proc_tree.ancestry',
  '  proc-tree explain 1796280983.178:489816 --db host1.db      # the logs as ingested into host1.db',
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
        options: { db: { type: 'string' }, host: { type: 'string' }, window: { type: 'string' }, 'no-ingest': { type: 'boolean', default: false }, json: { type: 'boolean', default: false } },
      },
      USAGE,
    );
    const [idText, ...inputs] = positionals;
    if (idText === undefined) throw new UsageError(`no EVENT_ID given\n${USAGE}`);
    const id = parseEventId(idText);
    const windowNs = windowOption(values.window);
    checkEventInputs(inputs, 'explain');
    const db = values.db ?? process.env.PROC_TREE_DB ?? './proc-tree.db';
    if (!values['no-ingest'] && inputs.length > 0) {
      const ingested = await ingestFirst({
        command: 'explain', argv, db, inputs, stdin: io.stdin, stderr: io.stderr,
        ...(values.host !== undefined ? { host: values.host } : {}),
        ...(wait !== undefined ? { wait } : {}),
      });
      if (ingested === undefined) return 1;
    }
    const store = await openStore(db);
    try {
      const found = await findAuditEvent(await eventSearchInputs(inputs, store), id, values.host);
      const { enriched, context, severalHosts, changed } = await store.read(async (reader) => {
        // Said at once: also before a refusal that the edit may cause (a pid on several hosts).
        const changed = await warnChangedSources(reader, found, io.stderr);
        const hosts = await reader.hosts();
        const e = await enrichOne(reader, found, values.host ?? (await hostOfNodeless(reader, hosts, found)));
        // The unnamed host is named only when the history holds it beside others.
        const severalHosts = hosts.length > 1 && (e.host !== '' || hosts.includes(''));
        const self = e.ancestry?.chain[0];
        if (self?.instanceId === undefined) return { enriched: e, context: undefined, severalHosts, changed };
        const parentInstanceId = e.ancestry?.chain[1]?.instanceId;
        const query = { instanceId: self.instanceId, atNs: e.subject.timeNs, windowNs, ...(parentInstanceId !== undefined ? { parentInstanceId } : {}) };
        return { enriched: e, context: await processContextInSnapshot(reader, query), severalHosts, changed };
      });
      if (values.json) {
        const doc = toNdjsonEvent(enriched) as Record<string, any>;
        if (context !== undefined) doc.proc_tree = { ...doc.proc_tree, context: contextJson(context) };
        if (changed.length > 0) doc.proc_tree = { ...doc.proc_tree, source_changed: true };
        io.stdout.write(toJsonLine(doc));
      } else io.stdout.write(changed.map((w) => `${w}\n`).join('') + explanation(enriched, severalHosts) + (context === undefined ? '' : contextText(context, enriched)));
      return changed.length > 0 ? SOURCE_CHANGED_EXIT : 0;
    } finally {
      await store.close();
    }
  },
};

/**
 * The host of an event without node= on a history of several hosts, by the rule of the
 * other query commands (resolve-host.ts): the one host that recorded its pid, or of those,
 * the one whose history covers the event; several (or none) is a UserError naming them, the
 * whole answer refused (exit 1), never a chain of a host picked silently. The same test
 * enrich makes per event (enrich-events.ts), where it is said per event instead.
 * Undefined: nothing to choose (one host, node= given, or no pid).
 */
async function hostOfNodeless(reader: HistoryReader, hosts: string[], event: AssembledEvent): Promise<string | undefined> {
  const subject = eventSubject(event);
  if (event.node !== undefined || hosts.length <= 1 || subject.pid === undefined) return undefined;
  try {
    return await hostOfEventPid(reader, subject.pid, subject.timeNs);
  } catch (error) {
    if (error instanceof UserError) throw new UserError(`event ${event.id} (logs without node=): ${error.message}`);
    throw error;
  }
}

const DEFAULT_WINDOW_S = 5;

function windowOption(text: string | undefined): bigint {
  if (text === undefined) return BigInt(DEFAULT_WINDOW_S) * 1_000_000_000n;
  if (!/^\d+(\.\d{1,9})?$/.test(text.trim())) throw new UsageError(`--window takes seconds, e.g. 5 or 0.5, got '${text}'`);
  const [whole, frac = ''] = text.trim().split('.');
  return BigInt(whole!) * 1_000_000_000n + BigInt(frac.padEnd(9, '0'));
}

/** Siblings list at most this many (the count says how many there were). */
const MAX_SIBLINGS_SHOWN = 20;

function contextText(c: ProcessContext, e: EnrichedEvent): string {
  const self = e.ancestry!.chain[0]!;
  const parent = e.ancestry!.chain[1];
  const lines = [`context: ${formatTimeNs(c.fromNs)} .. ${formatTimeNs(c.toNs)} (the event ± ${formatSeconds(c.toNs - e.subject.timeNs)})`];
  if (parent === undefined) lines.push('siblings: none known (no parent in the chain)');
  else {
    lines.push(`siblings (other children of pid ${parent.pid} in the window): ${c.siblings.length}`);
    for (const s of c.siblings.slice(0, MAX_SIBLINGS_SHOWN)) lines.push(`  ${renderTreeText([{ ...s, children: [] }], { times: true })}`);
    if (c.siblings.length > MAX_SIBLINGS_SHOWN) lines.push(`  ... ${c.siblings.length - MAX_SIBLINGS_SHOWN} more (--json lists them all)`);
  }
  lines.push(`descendants of pid ${self.pid} in the window: ${c.descendants.count}`);
  const tree = renderTreeText([c.descendants.root], { times: true }).split('\n').map((l) => `  ${l}`);
  lines.push(...tree);
  const notes = renderTreeNotes([c.descendants.root, ...c.siblings], c.descendants.notes);
  if (notes !== '') lines.push(...notes.trimEnd().split('\n').map((l) => `  ${l}`));
  lines.push(`timeline of pid ${self.pid} (this process, evidence in brackets):`, timelineEntryText(c.timeline));
  const t = c.timeline;
  if ([t.instance.startEvidence, ...t.parents.map((p) => p.evidence), ...t.images.map((im) => im.evidence)].some((e) => e?.file === '-')) {
    lines.push(`  ${STDIN_EVIDENCE}`);
  }
  return lines.join('\n') + '\n';
}

/** Evidence `[-:LINE ...]`: ingested from stdin, whose file was never named. */
const STDIN_EVIDENCE =
  "[-:LINE] is evidence read from stdin at ingest: the log it came from was not recorded and cannot be re-read (ingest a log by its path, or with --source-name PATH, to keep it)";

function formatSeconds(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  return `${ms / 1000} s`;
}

function contextJson(c: ProcessContext): Record<string, unknown> {
  return {
    window: { from: formatTimeNs(c.fromNs), to: formatTimeNs(c.toNs) },
    siblings: c.siblings.map(treeNodeJson),
    descendants: { count: c.descendants.count, uncertain: c.descendants.uncertain, ...(c.descendants.notes.length > 0 ? { notes: c.descendants.notes } : {}), root: treeNodeJson(c.descendants.root) },
    timeline: timelineEntryJson(c.timeline),
  };
}

/** `key=value` with the value quoted when it holds a space or a quote, escaped for a terminal. */
function fieldText(key: string, value: string): string {
  const shown = printableText(value);
  return `${key}=${/[\s"]/.test(shown) || shown === '' ? `"${shown.replace(/"/g, '\\"')}"` : shown}`;
}

/** `severalHosts`: the history holds several, so even the unnamed host is named. */
function explanation(e: EnrichedEvent, severalHosts: boolean): string {
  const outcome = outcomeOf(e.records);
  const types = [...new Set(e.records.map((r) => r.type))];
  const errno = syscallErrno(e.records);
  const result = outcome === undefined ? '' : ` (${outcome}${errno !== undefined ? `, ${errnoText(errno)}` : ''})`;
  const socket = eventSocket(e.records);
  const file = eventFile(e.records);
  const lines = [
    `event ${e.id} at ${formatTimeNs(e.subject.timeNs)}${e.host !== '' ? ` on host ${printableText(e.host)}` : severalHosts ? ' on the unnamed host (logs without node=)' : ''}`,
    `  what:  ${actionOf(e.records)}${result} [${categoriesOf(types, types.includes('SYSCALL')).join(', ')}]`,
    ...(socket === undefined ? [] : [`  addr:  ${printableText(eventSocketText(socket))}`]),
    ...(file === undefined ? [] : [`  file:  ${printableText(eventFileText(file))}`]),
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
