import { descendants, type DescendantsQuery } from '../../history/descendants.js';
import { hostHeader } from '../../history/resolve-host.js';
import { openStore, optionalTime, parseAtArg, parsePid, parseQueryArgs, toJsonLine } from '../../history/query-cli-args.js';
import { renderTreeNotes, renderTreeText, treeNodeJson } from '../../history/render-tree.js';
import type { Command } from '../command.js';
import { UsageError } from '../user-error.js';

const USAGE = [
  'usage: proc-tree descendants PID (--at TIME | --from T1 --to T2) [--db FILE|URL] [--host NAME] [--json]',
  '',
  '--at: the descendants alive at TIME. --from/--to: everything that descended from the instance of PID',
  'alive at T1 (or first seen in the window) during [T1, T2], short-lived processes included; a process',
  'that exec\'d in the window shows its commands in order (first → last). Each process is followed by its',
  'lifetime: [start T1, ended T2]; `~` before a time: seen since (it existed before its first record);',
  '`gone by`: no exit record, the end was inferred (pid reused, children reparented).',
  '',
  '  --at TIME          TIME: epoch seconds (1697091526.357, up to 9 decimals), ISO-8601 with a zone (2023-10-12T06:18:46.357Z)',
  '                     or an audit event id (audit(1697091526.357:2638035)): as of that event within its millisecond',
  '  --from T1 --to T2  a window, both ends included',
  '  --db FILE|URL      history: a SQLite file or postgres:// URL (default: $PROC_TREE_DB, PG*, ./proc-tree.db)',
  '  --host NAME        which host, when the database holds several; without it: the one host that',
  '                     recorded PID (of several, the one where it was alive then), else refused naming them',
  '  --json             {"host","pid","count","uncertain","outsideHistory"?,"notes"?,"root":{"pid","ppid","cmd","exe",',
  '                     "user","uid","start","startNs","startKnown","end","endNs","execs"?,"notes"?,"children":[...]}}',
  '                     outsideHistory: "before"|"after" when TIME (a window: T2) is outside the recorded history',
  '                     init without a recorded start (text: from boot): start/startNs null, "fromBoot":true,',
  '                     "firstRecorded","firstRecordedNs"',
  '',
  'examples:',
  '  proc-tree descendants 4242 --at 2026-11-25T14:03:22.517Z',
  '  proc-tree descendants 4242 --from 2026-11-25T14:00:00Z --to 2026-11-25T14:05:00Z --json',
].join('\n');

const command: Command = {
  summary: 'descendants of a process at a past time or during a time window',
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseQueryArgs(args, { at: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' } }, USAGE);
    if (positionals.length !== 1) throw new UsageError(`expected one PID\n${USAGE}`);
    const pid = parsePid(positionals[0], USAGE);
    const at = values.at as string | undefined;
    const { atNs, atSerial } = at === undefined ? { atNs: undefined, atSerial: undefined } : parseAtArg(at);
    const fromNs = optionalTime(values.from as string | undefined);
    const toNs = optionalTime(values.to as string | undefined);
    const query: DescendantsQuery = { pid };
    if (atNs !== undefined) {
      if (fromNs !== undefined || toNs !== undefined) throw new UsageError('give either --at, or --from and --to');
      query.atNs = atNs;
      if (atSerial !== undefined) query.atSerial = atSerial;
    } else {
      if (fromNs === undefined || toNs === undefined) throw new UsageError(`give --at TIME, or both --from and --to\n${USAGE}`);
      if (toNs < fromNs) throw new UsageError('--to is before --from');
      query.fromNs = fromNs;
      query.toNs = toNs;
    }
    if (values.host !== undefined) query.host = values.host;
    const store = await openStore(values.db);
    try {
      const result = await descendants(store, query);
      if (values.json) {
        io.stdout.write(
          toJsonLine({
            host: result.host,
            pid,
            count: result.count,
            uncertain: result.uncertain,
            ...(result.outsideHistory !== undefined ? { outsideHistory: result.outsideHistory } : {}),
            ...(result.notes.length > 0 ? { notes: result.notes } : {}),
            root: treeNodeJson(result.root),
          }),
        );
      } else io.stdout.write(hostHeader(result.hostChoice, pid) + renderTreeText([result.root], { times: true }) + '\n' + renderTreeNotes([result.root], result.notes));
      return 0;
    } finally {
      await store.close();
    }
  },
};

export default command;
