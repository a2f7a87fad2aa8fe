import { findProcessesInSnapshot, type FindQuery } from '../../history/find-processes.js';
import { outsideHistory } from '../../history/history-span.js';
import type { HistoryReader } from '../../history/history-store.js';
import { checkHostKnown, hostCell } from '../../history/resolve-host.js';
import { openStore, optionalTime, parseAtArg, parseQueryArgs, table, toJsonLine, userText } from '../../history/query-cli-args.js';
import { formatTimeNs } from '../../time/format-time.js';
import type { Command } from '../command.js';
import { UsageError } from '../user-error.js';

const USAGE = [
  'usage: proc-tree find (--cmd TEXT | --user NAME|UID) [--at TIME | --from T1 --to T2] [--db FILE] [--host NAME] [--json]',
  '',
  'Processes whose executable, arguments or task name contain TEXT, or that ran as a user, alive',
  'at TIME or during [T1, T2] (any time when neither is given). Output: one process instance per line.',
  '',
  '  --cmd TEXT        substring of the executable path, an argument or the task name (case-sensitive)',
  '  --user NAME|UID   numeric uid/euid, or a user name: as ENRICHED auditd logs name it, and in RAW',
  '                    logs (uids only) root is uid 0 and another name is the uid an ENRICHED log of',
  '                    the same host gave it',
  '  --at TIME         alive at TIME; --from T1 --to T2: alive at some point of [T1, T2]',
  '                    TIME: epoch seconds (1697091526.357), ISO-8601 with a zone (2023-10-12T06:18:46.357Z) or, for',
  '                    --at, an audit event id (audit(1697091526.357:2638035)): as of that event within its millisecond',
  '  --db FILE         history database (default ./proc-tree.db)',
  '  --host NAME       only that host (default: every host in the database)',
  '  --json            {"count","processes":[{"host","pid","cmd","exe","user","uid","start","startNs","startKnown",',
  '                    "end","endNs","matches":[{"since","sinceNs","kind","cmd","exe","user","uid"}]}],',
  '                    "uncertain"?,"outsideHistory"?,"notes"?} (--at TIME outside the recorded history: "before"|"after")',
  '',
  '`~` before START: seen since (existed before its first record). CMD is the first matching image.',
  'A history of several hosts: a HOST column first (\'\' for logs without node=), with --host too.',
  'Exit status: 0 when something matched, 1 when nothing did (also with --json), 2 for a bad invocation.',
  '',
  'examples:',
  '  proc-tree find --cmd curl --from 2026-11-25T14:00:00Z --to 2026-11-25T15:00:00Z',
  '  proc-tree find --user 1000 --at 1764079402.517 --json',
].join('\n');

const command: Command = {
  summary: 'find past processes by command or user',
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseQueryArgs(
      args,
      { cmd: { type: 'string' }, user: { type: 'string' }, at: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' } },
      USAGE,
    );
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'\n${USAGE}`);
    const query: FindQuery = {};
    if (values.cmd !== undefined) query.cmd = values.cmd as string;
    if (values.user !== undefined) query.user = values.user as string;
    if (query.cmd === undefined && query.user === undefined) throw new UsageError(`give --cmd or --user\n${USAGE}`);
    if (query.cmd === '') throw new UsageError('--cmd needs some text');
    const at = values.at as string | undefined;
    const { atNs, atSerial } = at === undefined ? { atNs: undefined, atSerial: undefined } : parseAtArg(at);
    const fromNs = optionalTime(values.from as string | undefined);
    const toNs = optionalTime(values.to as string | undefined);
    if (atNs !== undefined && (fromNs !== undefined || toNs !== undefined)) throw new UsageError('give either --at, or --from/--to');
    if (atNs !== undefined) query.atNs = atNs;
    if (atSerial !== undefined) query.atSerial = atSerial;
    if (fromNs !== undefined) query.fromNs = fromNs;
    if (toNs !== undefined) query.toNs = toNs;
    if (values.host !== undefined) query.host = values.host;
    const store = await openStore(values.db);
    try {
      const { found, outside, severalHosts } = await store.read(async (reader) => {
        const hosts = await reader.hosts();
        // A --host the history does not hold is a mistake to name, not "no matching process".
        if (query.host !== undefined) checkHostKnown(query.host, hosts);
        return { found: await findProcessesInSnapshot(reader, query), outside: await outsideNotes(reader, query), severalHosts: hosts.length > 1 };
      });
      if (values.json) {
        io.stdout.write(
          toJsonLine({
            count: found.length,
            ...(outside.notes.length > 0 ? { uncertain: true, outsideHistory: outside.side, notes: outside.notes } : {}),
            processes: found.map((f) => ({
              host: f.host,
              pid: f.pid,
              // The first matching image, under the names every other command uses.
              cmd: f.matches[0]?.cmd ?? null,
              exe: f.matches[0]?.exe ?? null,
              user: f.matches[0]?.user ?? null,
              uid: f.matches[0]?.uid ?? null,
              start: formatTimeNs(f.startNs),
              startNs: f.startNs,
              startKnown: f.startKnown,
              end: f.endNs === undefined ? null : formatTimeNs(f.endNs),
              endNs: f.endNs ?? null,
              matches: f.matches.map((m) => ({ ...m, since: formatTimeNs(m.sinceNs) })),
            })),
          }),
        );
        if (found.length === 0) io.stderr.write(noMatchMessage(query));
        // Same status as the text form: scripts test `if proc-tree find ...` either way.
        return found.length === 0 ? 1 : 0;
      }
      const uncertain = outside.notes.length > 0 ? `UNCERTAIN:\n${outside.notes.map((n) => `  - ${n}`).join('\n')}\n` : '';
      if (found.length === 0) {
        io.stderr.write(noMatchMessage(query) + uncertain);
        return 1;
      }
      // A history of several hosts: every row names its host, even when the matches happen to
      // be on one (a responder must not read them as the only host's, nor guess which).
      const multiHost = severalHosts;
      const rows = [[...(multiHost ? ['HOST'] : []), 'PID', ' START', 'END', 'USER', 'CMD']];
      for (const f of found) {
        const m = f.matches[0];
        rows.push([
          ...(multiHost ? [hostCell(f.host)] : []),
          String(f.pid),
          `${f.startKnown ? ' ' : '~'}${formatTimeNs(f.startNs)}`, // a space keeps times aligned
          f.endNs === undefined ? '-' : formatTimeNs(f.endNs),
          userText(m?.user, m?.uid),
          m?.cmd ?? '',
        ]);
      }
      io.stdout.write(table(rows) + '\n' + uncertain);
      return 0;
    } finally {
      await store.close();
    }
  },
};

/**
 * --at TIME before the first or after the last record of a host's history: "alive" then
 * only means no exit was recorded (or nothing is known). One note per host concerned.
 */
async function outsideNotes(store: HistoryReader, query: FindQuery): Promise<{ side?: 'before' | 'after'; notes: string[] }> {
  if (query.atNs === undefined) return { notes: [] };
  const out: { side?: 'before' | 'after'; notes: string[] } = { notes: [] };
  for (const host of query.host !== undefined ? [query.host] : await store.hosts()) {
    const o = await outsideHistory(store, host, query.atNs);
    if (o === undefined) continue;
    out.side ??= o.side;
    out.notes.push(o.note);
  }
  return out;
}

/**
 * Raw audit logs (and proc-connector captures) carry uids, not names, and only root's uid is
 * known without a name table: a name that matches nothing is most often that, so say how to ask.
 */
function noMatchMessage(query: FindQuery): string {
  const byName = query.user !== undefined && !/^\d+$/.test(query.user);
  const hint = byName ? ` (RAW audit logs carry uids, not names, and no ENRICHED log of these hosts gave '${query.user}' a uid; try --user UID)` : '';
  return `proc-tree find: no matching process${hint}\n`;
}

export default command;
