import { hostHeader, hostName } from '../../history/resolve-host.js';
import { openStore, parseAtArg, parsePid, parseQueryArgs, toJsonLine } from '../../history/query-cli-args.js';
import { timeline } from '../../history/timeline.js';
import { timelineEntryJson, timelineEntryText } from '../../history/timeline-text.js';
import { formatTimeNs } from '../../time/format-time.js';
import type { Command } from '../command.js';
import { UsageError, UserError } from '../user-error.js';

const USAGE = [
  'usage: proc-tree timeline PID [--at TIME] [--db FILE|URL] [--host NAME] [--json]',
  '',
  'Every process instance that held PID, oldest first: start/end, parents over time and execs,',
  'so pid reuse shows at a glance. --at marks the instance alive at TIME with `*`.',
  'Each line ends with its evidence: [file:line audit-event-id] or [file@offset].',
  '',
  '  --at TIME     TIME: epoch seconds (1697091526.357, up to 9 decimals), ISO-8601 with a zone (2023-10-12T06:18:46.357Z)',
  '                or an audit event id (audit(1697091526.357:2638035)): the holder of PID at that event, as ancestry',
  '                picks it, when PID changed hands within that millisecond (the serial orders its events)',
  '  --db FILE|URL history: a SQLite file or postgres:// URL (default: $PROC_TREE_DB, PG*, ./proc-tree.db)',
  '  --host NAME   which host, when the database holds several; without it: the one host that',
  '                recorded PID (of several, the one where it was alive then), else refused naming them',
  '  --json        {"host","pid","at"?,"instances":[{"pid","start","startNs","startKnown","end","endNs",',
  '                "endCertainty","creatorPid","aliveAtQuery","parents":[{"since","sinceNs","ppid","kind"}],',
  '                "images":[{"since","sinceNs","kind","exe","argv","comm","uid","user"}]}]}; "atSerial" with an event id',
  'Exit status: 1 when the history has no record of PID.',
  '',
  'examples:',
  '  proc-tree timeline 4242',
  '  proc-tree timeline 4242 --at 2026-11-25T14:03:22.517Z --json',
  "  proc-tree timeline 4242 --at 'audit(1764079402.517:28631)'",
].join('\n');

const command: Command = {
  summary: 'every instance that held a pid: start/end, parents and execs over time',
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseQueryArgs(args, { at: { type: 'string' } }, USAGE);
    if (positionals.length !== 1) throw new UsageError(`expected one PID\n${USAGE}`);
    const pid = parsePid(positionals[0], USAGE);
    const at = values.at as string | undefined;
    const { atNs, atSerial } = at === undefined ? { atNs: undefined, atSerial: undefined } : parseAtArg(at);
    const store = await openStore(values.db);
    try {
      const result = await timeline(store, { pid, ...(values.host !== undefined ? { host: values.host } : {}), ...(atNs !== undefined ? { atNs } : {}), ...(atSerial !== undefined ? { atSerial } : {}) });
      if (result.entries.length === 0) throw new UserError(`no record of pid ${pid} in the history${result.hostChoice !== undefined ? ` of host ${hostName(result.host)}` : ''}`);
      if (values.json) {
        io.stdout.write(
          toJsonLine({
            host: result.host,
            pid,
            ...(atNs !== undefined ? { at: formatTimeNs(atNs), atNs } : {}),
            ...(atSerial !== undefined ? { atSerial } : {}),
            instances: result.entries.map(timelineEntryJson),
          }),
        );
      } else io.stdout.write(hostHeader(result.hostChoice, pid) + result.entries.map(timelineEntryText).join('\n') + '\n');
      return 0;
    } finally {
      await store.close();
    }
  },
};

export default command;
