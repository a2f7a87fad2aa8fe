import type { Command } from '../command.js';
import { parseCommandArgs } from '../parse-command-args.js';
import { EXIT_INCOMPLETE, UsageError } from '../user-error.js';
import { formatTimeNs } from '../../time/format-time.js';
import { CaptureWriter } from '../../../adapters/proc-connector/capture-writer.js';
import { runLiveConnector } from '../../../adapters/proc-connector/live-connector.js';
import { parseDurationS, stopSignal } from './stop-signal.js';

const usage = `usage: proc-tree capture -o FILE [--duration SECONDS]

Records the kernel's process connector (fork, exec, exit, uid/gid/sid, ptrace, comm,
coredump) until Ctrl-C, SIGTERM or --duration. Needs root or CAP_NET_ADMIN.

Writes FILE (raw netlink datagrams as received), FILE.meta.json (clock offset, host,
kernel, boot id, counts), FILE.snapshot.json (/proc at start, so older processes have
names) and FILE.live.ndjson (exec images and reparent targets read from /proc live).
Replay it with: proc-tree ingest --format proc-connector FILE
Exit status 3 when the kernel dropped events (the summary says how many).

options:
  -o, --output FILE       capture file to write (required)
  --duration SECONDS      stop after this many seconds
`;

const command: Command = {
  summary: 'record kernel process events (proc connector) to a capture file',
  usage,
  async run(args, io) {
    const { values } = parseCommandArgs({ args, options: { output: { type: 'string', short: 'o' }, duration: { type: 'string' } } }, usage);
    if (!values.output) throw new UsageError('-o FILE is required');
    const durationS = parseDurationS(values.duration);
    const stop = stopSignal(durationS);
    const output = values.output;
    let kinds: Record<string, number> = {};
    try {
      io.stderr.write(`capturing to ${values.output}${durationS ? ` for ${durationS}s` : ''}; Ctrl-C to stop\n`);
      const summary = await runLiveConnector({
        sink: { onEvent: () => {}, onWarning: () => {} },
        openWriter: () => new CaptureWriter(output),
        signal: stop.signal,
        command: ['proc-tree', 'capture', ...args],
      });
      kinds = summary.stats.events;
      const s = summary.stats;
      io.stderr.write(
        [
          `captured ${summary.datagrams} datagrams (${summary.bytes} bytes) from ${formatTimeNs(summary.startNs)} to ${formatTimeNs(summary.endNs)}`,
          `  events: ${Object.entries(kinds).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`,
          `  threads created ${s.threadsCreated}, exec images missed ${s.execImagesMissed}, reparents inferred ${s.reparentsInferred}`,
          `  receive buffer ${summary.rcvbufBytes} bytes; overflows (ENOBUFS) ${summary.enobufs}; messages lost ${s.lostMessages}`,
        ].join('\n') + '\n',
      );
      return summary.enobufs > 0 || s.lostMessages > 0 ? EXIT_INCOMPLETE : 0;
    } finally {
      stop.dispose();
    }
  },
};

export default command;
