import { findProcesses, type FindQuery } from '../../history/find-processes.js';
import { openStore, optionalTime, parseQueryArgs, table, toJsonLine } from '../../history/query-cli-args.js';
import { formatTimeNs } from '../../time/format-time.js';
import type { Command } from '../command.js';
import { UsageError } from '../user-error.js';

const USAGE = [
  'usage: proc-tree find (--cmd TEXT | --user NAME|UID) [--at TIME | --from T1 --to T2] [--db FILE] [--host NAME] [--json]',
  '',
  'Processes whose executable, arguments or task name contain TEXT, or that ran as a user, alive',
  'at TIME or during [T1, T2] (any time when neither is given). Output: one process instance per line.',
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
    const atNs = optionalTime(values.at as string | undefined);
    const fromNs = optionalTime(values.from as string | undefined);
    const toNs = optionalTime(values.to as string | undefined);
    if (atNs !== undefined && (fromNs !== undefined || toNs !== undefined)) throw new UsageError('give either --at, or --from/--to');
    if (atNs !== undefined) query.atNs = atNs;
    if (fromNs !== undefined) query.fromNs = fromNs;
    if (toNs !== undefined) query.toNs = toNs;
    if (values.host !== undefined) query.host = values.host;
    const store = openStore(values.db);
    try {
      const found = findProcesses(store, query);
      if (values.json) {
        io.stdout.write(
          toJsonLine({
            count: found.length,
            processes: found.map((f) => ({
              host: f.host,
              pid: f.pid,
              start: formatTimeNs(f.startNs),
              startNs: f.startNs,
              startKnown: f.startKnown,
              end: f.endNs === undefined ? null : formatTimeNs(f.endNs),
              endNs: f.endNs ?? null,
              matches: f.matches.map((m) => ({ ...m, since: formatTimeNs(m.sinceNs) })),
            })),
          }),
        );
        return 0;
      }
      if (found.length === 0) {
        io.stderr.write('proc-tree find: no matching process\n');
        return 1;
      }
      const multiHost = new Set(found.map((f) => f.host)).size > 1;
      const rows = [[...(multiHost ? ['HOST'] : []), 'PID', 'START', 'END', 'USER', 'CMD']];
      for (const f of found) {
        const m = f.matches[0];
        rows.push([
          ...(multiHost ? [f.host || '(default)'] : []),
          String(f.pid),
          `${f.startKnown ? '' : '~'}${formatTimeNs(f.startNs)}`,
          f.endNs === undefined ? '-' : formatTimeNs(f.endNs),
          m?.user ?? (m?.uid === undefined ? '?' : String(m.uid)),
          m?.cmd ?? '',
        ]);
      }
      io.stdout.write(table(rows) + '\n');
      return 0;
    } finally {
      store.close();
    }
  },
};

export default command;
