import { ancestryAt, type AncestryLink, type Lineage } from '../../history/ancestry-at.js';
import { ancestryText } from '../../history/ancestry-text.js';
import { initStartFromBoot } from '../../history/history-span.js';
import { hostHeader } from '../../history/resolve-host.js';
import { openStore, parseAtArg, parsePid, parseQueryArgs, toJsonLine } from '../../history/query-cli-args.js';
import { formatTimeNs } from '../../time/format-time.js';
import type { Command } from '../command.js';
import { UsageError } from '../user-error.js';

const USAGE = [
  'usage: proc-tree ancestry PID --at TIME [--db FILE] [--host NAME] [--lineage parent|creator] [--json]',
  '',
  'The ancestry of PID at a past time from the history database: the process first, then its',
  'parent at that time (what /proc showed then), up to pid 1. TIME is epoch seconds, ISO-8601 with a zone, or',
  'an audit event id (audit(1697091526.357:2638035): the answer is as of that event, after the earlier ones of its millisecond).',
  '  --lineage creator   follow who forked each process instead of the parent at that time',
  '  --json   {"pid","at","atNs","host","lineage","chain":[{"pid","ppid","cmd","exe","argv","comm","user","uid","start","startNs","startKnown","end","endNs","notes"?}],"complete","uncertain","outsideHistory"?,"notes"?}',
  '           init without a recorded start (text: from boot): start/startNs null, "fromBoot":true, "firstRecorded","firstRecordedNs"',
  '           outsideHistory: "before"|"after" when TIME is outside the recorded history (then uncertain)',
].join('\n');

/**
 * A link as JSON. init that the text shows "from boot" (no record of its start,
 * initStartFromBoot) has no start here either: start null, fromBoot true, and its first
 * record as firstRecorded (that record is no start, and may come after TIME).
 */
function linkJson(l: AncestryLink): Record<string, unknown> {
  const fromBoot = initStartFromBoot(l.pid, l.startKnown);
  const start = fromBoot || l.startNs === undefined ? undefined : l.startNs;
  return {
    pid: l.pid,
    ppid: l.ppid ?? null,
    cmd: l.cmd,
    exe: l.exe ?? null,
    argv: l.argv ?? null,
    comm: l.comm ?? null,
    user: l.user ?? null,
    uid: l.uid ?? null,
    start: start === undefined ? null : formatTimeNs(start),
    startNs: start?.toString() ?? null,
    startKnown: l.startKnown,
    ...(fromBoot ? { fromBoot: true, firstRecorded: l.startNs === undefined ? null : formatTimeNs(l.startNs), firstRecordedNs: l.startNs?.toString() ?? null } : {}),
    end: l.endNs === undefined ? null : formatTimeNs(l.endNs),
    endNs: l.endNs?.toString() ?? null,
    ...(l.notes.length > 0 ? { notes: l.notes } : {}),
  };
}

const command: Command = {
  summary: 'ancestry chain of a pid at a past time, from the history database',
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseQueryArgs(args, { at: { type: 'string' }, lineage: { type: 'string', default: 'parent' } }, USAGE);
    if (positionals.length !== 1) throw new UsageError(`expected one PID\n${USAGE}`);
    const pid = parsePid(positionals[0], USAGE);
    const at = values.at as string | undefined;
    if (at === undefined) throw new UsageError(`--at TIME is required\n${USAGE}`);
    const { atNs, atSerial } = parseAtArg(at);
    const lineage = values.lineage;
    if (lineage !== 'parent' && lineage !== 'creator') throw new UsageError(`--lineage must be parent or creator, got '${lineage}'`);
    const store = await openStore(values.db);
    try {
      const result = await ancestryAt(store, {
        pid,
        atNs,
        lineage: lineage as Lineage,
        ...(atSerial !== undefined ? { atSerial } : {}),
        ...(values.host !== undefined ? { host: values.host } : {}),
      });
      if (values.json) {
        io.stdout.write(
          toJsonLine({
            pid,
            at: formatTimeNs(atNs),
            atNs: atNs.toString(),
            host: result.host,
            lineage,
            chain: result.chain.map((l) => linkJson(l)),
            complete: result.complete,
            uncertain: result.uncertain,
            ...(result.outsideHistory !== undefined ? { outsideHistory: result.outsideHistory } : {}),
            ...(result.notes.length > 0 ? { notes: result.notes } : {}),
          }),
        );
      } else {
        io.stdout.write(hostHeader(result.hostChoice, pid) + ancestryText(result));
      }
      return 0;
    } finally {
      await store.close();
    }
  },
};

export default command;
