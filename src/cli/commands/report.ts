import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { locateHistory } from '../../history/open-history-store.js';
import { openStore, parseAtArg, parsePid, parseQueryArgs } from '../../history/query-cli-args.js';
import { SOURCE_CHANGED_EXIT, warnChangedSources } from '../../enrich/changed-sources.js';
import { checkEventInputs, enrichOne, eventSearchInputs, findAuditEvent, parseEventId } from '../../enrich/event-by-id.js';
import { ingestFirst } from '../../enrich/ingest-first.js';
import { reportData, reportDataInSnapshot, type ReportData } from '../../history/report-data.js';
import { reportEventOf, type ReportEvent } from '../../report/report-event.js';
import { renderReport } from '../../report/render-report.js';
import type { CliIo, Command } from '../command.js';
import { UsageError, UserError } from '../user-error.js';
import { takeWaitOption, WAIT_USAGE } from '../wait-option.js';

const USAGE = [
  'usage: proc-tree report PID --at TIME [--db FILE] [--host NAME] [-o FILE.html]',
  '       proc-tree report --event EVENT_ID [INPUT...] [--db FILE] [--host NAME] [--no-ingest] [-o FILE.html]',
  '',
  'One self-contained HTML page for the case file: the ancestry of PID at TIME (self first: pid, executable,',
  'arguments, user, start, how its parent became known, uncertainty marked), the processes alive then under',
  'its oldest recorded ancestor (times, exit codes, reparentings; filter box, open/close subtrees, zoom), and',
  'every fact with its record (file:line, audit id). No network is used to view it (CSS and script inline).',
  '',
  'With --event: the page of the process that acted in that audit event of the logs INPUT, at the event\'s',
  'time, with the event itself (type, time, records, file:line); its chain is the one `proc-tree explain',
  'EVENT_ID INPUT --json` gives. The inputs are ingested first, as by explain (nothing to do when the history holds them);',
  'without INPUT the event is read from the logs the history was ingested from.',
  '',
  'Exit status: 0 written; 3 (--event) written, but a log the event\'s records were read from changed since',
  'it was ingested (its sha256 differs; the page and stderr say so: the records shown are today\'s file;',
  'also when no page could be made after such a warning); 1 no such event or process; 2 wrong invocation.',
  '',
  '  --at TIME     epoch seconds, ISO-8601 with a zone, or an audit event id (audit(1697091526.357:2638035))',
  '  --event ID    an audit id from a log line: 1796280983.178:489816 or audit(1796280983.178:489816)',
  '  --no-ingest   (--event) use the history as it is',
  '  -o FILE       write the page there (default: stdout)',
  '  --db FILE|URL history: a SQLite file or postgres:// URL (default: PROC_TREE_DB, PG*, ./proc-tree.db)',
  '  --host NAME   which host, when the database holds several; without it: the one host that',
  '                recorded PID (of several, the one where it was alive then), else refused naming them',
  WAIT_USAGE,
  '',
  'example:',
  '  proc-tree report 4516 --at 1795589311.445620051 -o 4516.html',
  '  proc-tree report --event \'audit(1796280983.178:489816)\' /var/log/audit --db host1.db -o event.html',
].join('\n');

/** Our own version, for the page header: the nearest proc-tree package.json above this module (dist/ or src/). */
function ownVersion(): string {
  for (let url = new URL('./', import.meta.url); url.pathname !== '/'; url = new URL('../', url)) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'proc-tree') return pkg.version ?? 'unknown';
    } catch {
      // not here: look one level up
    }
  }
  return 'unknown';
}

/** The history for the header: the file, or the PostgreSQL URL without its password. */
function historyName(db: string | undefined): string {
  const where = locateHistory(db);
  if (where.backend === 'sqlite') return where.path;
  if (where.url === '') return 'PostgreSQL (PG* environment)';
  try {
    const url = new URL(where.url);
    if (url.password !== '') url.password = '***';
    return url.toString();
  } catch {
    return 'PostgreSQL';
  }
}

const command: Command = {
  summary: 'self-contained HTML page: ancestry, tree and evidence of a pid at a past time',
  usage: USAGE,
  async run(argv, io) {
    const { args, wait } = takeWaitOption(argv);
    const { values, positionals } = parseQueryArgs(
      args,
      { at: { type: 'string' }, event: { type: 'string' }, 'no-ingest': { type: 'boolean', default: false }, output: { type: 'string', short: 'o' } },
      USAGE,
    );
    const host = values.host as string | undefined;
    let html: string;
    // SOURCE_CHANGED_EXIT: the event's log changed since ingest (the page and stderr say so).
    let status = 0;
    if (values.event !== undefined) {
      if (values.at !== undefined) throw new UsageError(`--event and --at exclude each other: the event gives the time\n${USAGE}`);
      const made = await eventReport(values.event as string, positionals, { db: values.db, host, ingest: !values['no-ingest'], wait, argv }, io);
      if (typeof made === 'number') return made;
      ({ html, status } = made);
    } else {
      if (wait !== undefined || values['no-ingest'] === true) throw new UsageError(`--wait and --no-ingest go with --event (report PID --at reads the history only)\n${USAGE}`);
      if (positionals.length !== 1) throw new UsageError(`expected one PID\n${USAGE}`);
      const pid = parsePid(positionals[0], USAGE);
      const at = values.at as string | undefined;
      if (at === undefined) throw new UsageError(`--at TIME is required (or --event EVENT_ID)\n${USAGE}`);
      const { atNs, atSerial } = parseAtArg(at);
      const store = await openStore(values.db);
      try {
        const data = await reportData(store, { pid, atNs, ...(atSerial !== undefined ? { atSerial } : {}), ...(host !== undefined ? { host } : {}) });
        html = renderReport(data, { db: historyName(values.db), version: ownVersion(), asked: `report ${pid} --at ${at}` });
      } finally {
        await store.close();
      }
    }
    const out = values.output as string | undefined;
    if (out === undefined) {
      io.stdout.write(html);
      return status;
    }
    // Whole or nothing: a half-written page must not pass for a report.
    const tmp = `${out}.tmp-${process.pid}`;
    try {
      writeFileSync(tmp, html);
      renameSync(tmp, out);
    } catch (err) {
      throw new UserError(`cannot write ${out}: ${(err as NodeJS.ErrnoException).code ?? String(err)}: choose a writable path with -o`);
    }
    io.stderr.write(`report written to ${out} (${Buffer.byteLength(html)} bytes)\n`);
    return status;
  },
};

interface EventReportOptions {
  db: string | undefined;
  host: string | undefined;
  ingest: boolean;
  wait: number | undefined;
  argv: readonly string[];
}

/**
 * The page for `--event`: the event found and enriched as `explain` does (same modules),
 * then the report of its acting process at its time, the chain being enrich's, all in one
 * snapshot. Returns the page, or an exit status when the inputs could not be ingested.
 */
async function eventReport(idText: string, inputs: string[], o: EventReportOptions, io: CliIo): Promise<{ html: string; status: number } | number> {
  const id = parseEventId(idText);
  checkEventInputs(inputs, 'report --event');
  const db = o.db ?? process.env.PROC_TREE_DB ?? './proc-tree.db';
  if (o.ingest && inputs.length > 0) {
    const ingested = await ingestFirst({
      command: 'report', argv: o.argv, db, inputs, stdin: io.stdin, stderr: io.stderr,
      ...(o.host !== undefined ? { host: o.host } : {}),
      ...(o.wait !== undefined ? { wait: o.wait } : {}),
    });
    if (ingested === undefined) return 1;
  }
  const store = await openStore(db);
  let data: ReportData;
  let event: ReportEvent;
  try {
    const found = await findAuditEvent(await eventSearchInputs(inputs, store), id, o.host);
    ({ data, event } = await store.read(async (reader) => {
      const changed = await warnChangedSources(reader, found, io.stderr);
      const enriched = await enrichOne(reader, found, o.host);
      const ev: ReportEvent = { ...reportEventOf(enriched), ...(changed.length > 0 ? { changedSources: changed } : {}) };
      const a = enriched.ancestry;
      // An edited log can be why (its pid changed): said above, and exit 3 as for a page.
      if (a === undefined) throw new UserError(`event ${id} has no process to report: ${enriched.noAncestry ?? 'not in the history'}`, changed.length > 0 ? SOURCE_CHANGED_EXIT : 1);
      const d = await reportDataInSnapshot(reader, { host: a.host, pid: a.pid, atNs: enriched.subject.timeNs, atSerial: enriched.subject.serial, ancestry: a });
      return { data: d, event: ev };
    }));
  } finally {
    await store.close();
  }
  const html = renderReport(data, { db: historyName(db), version: ownVersion(), asked: `report --event ${id}`, event });
  return { html, status: event.changedSources !== undefined ? SOURCE_CHANGED_EXIT : 0 };
}

export default command;
