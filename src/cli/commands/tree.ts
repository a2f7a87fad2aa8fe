import { historySpanText } from '../../history/history-span.js';
import { hostHeader } from '../../history/resolve-host.js';
import { openStore, parseAtArg, parsePid, parseQueryArgs, toJsonLine } from '../../history/query-cli-args.js';
import { renderTreeDot, renderTreeNotes, renderTreeText, treeNodeJson } from '../../history/render-tree.js';
import { treeAtInSnapshot, type TreeQuery } from '../../history/tree-at.js';
import { formatTimeNs } from '../../time/format-time.js';
import type { Command } from '../command.js';
import { UsageError, UserError } from '../user-error.js';

const USAGE = [
  'usage: proc-tree tree [PID] --at TIME [--db FILE|URL] [--host NAME] [--format text|json|dot] [--json]',
  '',
  'pstree-style tree of the processes alive at TIME (by their parent at that time), or of PID\'s subtree.',
  '`~` after a process: it existed before its first record (start unknown). `?`: its parent at that time is',
  'uncertain (lost events, an exit never seen, a parent known only later, ...): the reasons follow the tree',
  '(JSON: "notes" on the node, "uncertain" and "notes" at the top).',
  '',
  '  --at TIME              the past moment; TIME: epoch seconds (1697091526.357, up to 9 decimals), ISO-8601 with a zone (2023-10-12T06:18:46.357Z)',
  '                         or an audit event id (audit(1697091526.357:2638035): as of that event within its millisecond)',
  '  --format text|json|dot text (default), one JSON object, or Graphviz dot (| dot -Tsvg > tree.svg)',
  '  --json                 same as --format json: {"at","atNs","host","count","uncertain","notes"?,"roots":[{"pid",',
  '                         "ppid","cmd","exe","user","uid","start","startNs","startKnown","end","endNs","notes"?,"children":[...]}],',
  '                         "outsideHistory"?: "before"|"after" when TIME is outside the recorded history}',
  '                         init without a recorded start (it runs from boot): start/startNs null, "fromBoot":true,',
  '                         "firstRecorded","firstRecordedNs"',
  '                         Nothing recorded alive at TIME: exit status 1 and the span of the history.',
  '  --db FILE|URL          history: a SQLite file or postgres:// URL (default: $PROC_TREE_DB, PG*, ./proc-tree.db)',
  '  --host NAME            which host, when the database holds several',
  '',
  'examples:',
  '  proc-tree tree --at 2026-11-25T14:03:22.517Z',
  '  proc-tree tree 4242 --at 1764079402.517 --format dot | dot -Tsvg > 4242.svg',
].join('\n');

const command: Command = {
  summary: 'process tree at a past time from the history database (text, json or dot)',
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseQueryArgs(args, { at: { type: 'string' }, format: { type: 'string' } }, USAGE);
    if (positionals.length > 1) throw new UsageError(`expected at most one PID\n${USAGE}`);
    const at = values.at as string | undefined;
    if (at === undefined) throw new UsageError(`--at TIME is required\n${USAGE}`);
    const given = values.format as string | undefined;
    // Two answers to "which output?" must not be settled silently by precedence.
    if (values.json && given !== undefined && given !== 'json') throw new UsageError(`--json and --format ${given} ask for different outputs: give one of them`);
    const format = values.json ? 'json' : (given ?? 'text');
    if (format !== 'text' && format !== 'json' && format !== 'dot') throw new UsageError(`--format must be text, json or dot, got '${format}'`);
    const { atNs, atSerial } = parseAtArg(at);
    const store = await openStore(values.db);
    try {
      const query: TreeQuery = { atNs };
      if (atSerial !== undefined) query.atSerial = atSerial;
      if (values.host !== undefined) query.host = values.host;
      if (positionals[0] !== undefined) query.pid = parsePid(positionals[0], USAGE);
      const { result, span } = await store.read(async (reader) => {
        const tree = await treeAtInSnapshot(reader, query);
        return { result: tree, span: tree.count === 0 ? await historySpanText(reader, tree.host) : '' };
      });
      // Nothing alive: as ancestry and descendants, a non-zero exit, and where the history is.
      if (result.count === 0) throw new UserError(`no process recorded alive at ${formatTimeNs(atNs)}: ${span}`);
      if (format === 'json') {
        io.stdout.write(
          toJsonLine({
            at: formatTimeNs(atNs),
            atNs: atNs.toString(),
            host: result.host,
            count: result.count,
            uncertain: result.uncertain,
            ...(result.outsideHistory !== undefined ? { outsideHistory: result.outsideHistory } : {}),
            ...(result.notes.length > 0 ? { notes: result.notes } : {}),
            roots: result.roots.map(treeNodeJson),
          }),
        );
      } else if (format === 'dot') io.stdout.write(renderTreeDot(result.roots) + '\n');
      else io.stdout.write(hostHeader(result.hostChoice, query.pid) + renderTreeText(result.roots) + '\n' + renderTreeNotes(result.roots, result.notes));
      return 0;
    } finally {
      await store.close();
    }
  },
};

export default command;
