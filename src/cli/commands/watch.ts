import type { CliIo, Command } from '../command.js';
import { parseCommandArgs } from '../parse-command-args.js';
import { EXIT_INCOMPLETE } from '../user-error.js';
import { formatTimeNs } from '../../time/format-time.js';
import { watchIntoHistory } from '../../../adapters/proc-connector/watch-into-history.js';
import { parseDurationS, stopSignal } from './stop-signal.js';
import { asOnlyWriter } from '../../ingest/writer-lock-for.js';
import { commandLine } from '../../ingest/writer-lock-holder.js';
import { takeWaitOption, WAIT_USAGE } from '../wait-option.js';
import { isPostgresUrl, redactUrl } from '../../history/postgres/pg-url.js';
import { writerDb } from '../../history/open-history-store.js';

const usage = `usage: proc-tree watch [--db FILE|URL] [--duration SECONDS] [--host NAME] [--wait [SECONDS]]

Keeps the history database current in real time from the kernel's process connector:
seeds it from /proc, then records every fork, exec, exit, reparenting and identity change
until Ctrl-C, SIGTERM or --duration. Needs root or CAP_NET_ADMIN. Query it meanwhile with
'proc-tree ancestry PID --at TIME', 'tree', 'timeline' ... --db FILE. On PostgreSQL
(--db postgres://USER@HOST:PORT/DB), one watch per host name, beside other hosts' writers.

If the kernel's queue overflows (ENOBUFS), the loss (when, and how many messages) is
printed and stored, and the tree is re-seeded from /proc. Exit status 3 when anything
was lost; 75 when another process is writing the database (see --wait).

options:
  --db FILE|URL        history: a SQLite file (created if missing) or postgres:// URL
                       (default: $PROC_TREE_DB, else PG* when set, else ./proc-tree.db)
  --duration SECONDS   stop after this many seconds
  --host NAME          host name to store events under (default: the default host)
${WAIT_USAGE}
`;

const command: Command = {
  summary: 'keep the history database current from live kernel process events',
  usage,
  async run(argv, io) {
    const { args, wait } = takeWaitOption(argv);
    const { values } = parseCommandArgs({ args, options: { db: { type: 'string' }, duration: { type: 'string' }, host: { type: 'string' } } }, usage);
    const db = writerDb(values.db);
    const durationS = parseDurationS(values.duration);
    // PostgreSQL: the host's own advisory lock, taken by the ingest target (pg-writer-lock.ts).
    if (isPostgresUrl(db)) return watch({ ...values, db }, durationS, wait, io);
    const lock = { onNote: (line: string) => io.stderr.write(`proc-tree watch: ${line}\n`), ...(wait !== undefined ? { wait } : {}) };
    return asOnlyWriter(db, commandLine('watch', argv), lock, () => watch({ ...values, db }, durationS, undefined, io));
  },
};

async function watch(values: { db: string; host?: string }, durationS: number | undefined, waitS: number | undefined, io: CliIo): Promise<number> {
  const stop = stopSignal(durationS);
  try {
    io.stderr.write(`watching into ${redactUrl(values.db)}${durationS ? ` for ${durationS}s` : ''}; Ctrl-C to stop\n`);
    const summary = await watchIntoHistory({
      db: values.db,
      signal: stop.signal,
      ...(values.host === undefined ? {} : { host: values.host }),
      ...(waitS === undefined ? {} : { waitS }),
      onLoss: (loss) =>
        io.stderr.write(`LOSS at ${formatTimeNs(loss.timestampNs)}: ${loss.count === undefined ? 'unknown number of' : loss.count} event(s): ${loss.reason}\n`),
    });
    const { live, history } = summary;
    const s = live.stats;
    io.stderr.write(
      [
        `watched ${formatTimeNs(live.startNs)} to ${formatTimeNs(live.endNs)}: ${live.datagrams} kernel messages, ${summary.commits} commits`,
        `  events: ${Object.entries(history.events).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`,
        `  processes opened ${history.instancesOpened}, closed ${history.instancesClosed}; reparents inferred ${s.reparentsInferred}, exec images missed ${s.execImagesMissed}`,
        `  overflows (ENOBUFS) ${live.enobufs}; messages lost ${s.lostMessages}; receive buffer ${live.rcvbufBytes} bytes`,
      ].join('\n') + '\n',
    );
    return live.enobufs > 0 || s.lostMessages > 0 ? EXIT_INCOMPLETE : 0;
  } finally {
    stop.dispose();
  }
}

export default command;
