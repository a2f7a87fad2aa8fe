import type { Command } from '../command.js';

/**
 * `ancestry PID` reads the live /proc; `ancestry PID --at TIME` asks the history database.
 * One user-facing command, two owners: this file only routes.
 */
const ancestry: Command = {
  summary: 'ancestry chain of a pid, self first: live from /proc, or at a past time with --at',
  usage: [
    'usage: proc-tree ancestry PID [--json]                      live, from /proc',
    '       proc-tree ancestry PID --at TIME [--db FILE] [--host NAME] [--lineage parent|creator] [--json]',
    '',
    'TIME is epoch seconds (1697091526.357) or ISO-8601 with a zone (2023-10-12T06:18:46.357Z).',
  ].join('\n'),
  async run(args, io) {
    const historical = args.some((a) => a === '--at' || a.startsWith('--at='));
    const module = historical ? await import('./ancestry-at.js') : await import('./ancestry-live.js');
    return module.default.run(args, io);
  },
};

export default ancestry;
