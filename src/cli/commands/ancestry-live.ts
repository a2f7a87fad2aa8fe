import { formatTimeNs } from '../../time/format-time.js';
import { buildChainLinks } from '../../tree/chain.js';
import { DefaultCache, DefaultTree } from '../../tree/default-tree.js';
import { seedAncestry } from '../../tree/seed-ancestry.js';
import type { ProcessLink } from '../../tree/types.js';
import type { Command } from '../command.js';
import { parseCommandArgs } from '../parse-command-args.js';
import { UsageError, UserError } from '../user-error.js';

const USAGE = [
  'usage: proc-tree ancestry PID [--json]',
  '',
  'Prints the live ancestry of PID from /proc, the process itself first, then its parent, up to the root.',
  '  --json   {"pid":PID,"chain":[{"pid","ppid","cmd","exe","argv","user","uid","start","startNs"}...]}',
].join('\n');

/** Linux never hands out pids above 2^22 (PID_MAX_LIMIT); anything larger cannot exist. */
const PID_MAX_LIMIT = 4_194_304;

function parsePid(text: string | undefined): number {
  if (text === undefined) throw new UsageError(`missing PID\n${USAGE}`);
  if (!/^\d+$/.test(text)) throw new UsageError(`PID must be a positive integer, got '${text}'`);
  const pid = Number(text);
  if (pid <= 0) throw new UsageError(`PID must be a positive integer, got '${text}'`);
  if (pid > PID_MAX_LIMIT) throw new UserError(`no process with pid ${text} (Linux pids never exceed ${PID_MAX_LIMIT})`);
  return pid;
}

function toJson(link: ProcessLink): Record<string, unknown> {
  return {
    pid: link.pid,
    ppid: link.ppid,
    cmd: link.cmd,
    exe: link.exe,
    argv: link.argv,
    user: link.user,
    uid: link.uid,
    start: link.startTimeNs === undefined ? null : formatTimeNs(link.startTimeNs),
    startNs: link.startTimeNs?.toString() ?? null,
  };
}

function toTable(chain: ProcessLink[]): string {
  const rows = [['PID', 'PPID', 'USER', 'START', 'CMD', 'EXE']];
  for (const l of chain) {
    const start = l.startTimeNs === undefined ? '?' : formatTimeNs(l.startTimeNs);
    rows.push([String(l.pid), String(l.ppid), l.user || '?', start, JSON.stringify(l.cmd), l.exe || '-']);
  }
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
  return rows.map((r) => r.map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col]!))).join('  ')).join('\n');
}

const command: Command = {
  summary: 'live ancestry of a pid from /proc, self first',
  usage: USAGE,
  async run(args, io) {
    const parsed = parseCommandArgs({ args, options: { json: { type: 'boolean', default: false } }, allowPositionals: true }, USAGE);
    const json = parsed.values.json === true;
    const positionals = parsed.positionals;
    if (positionals.length > 1) throw new UsageError(`expected one PID, got ${positionals.length}: ${positionals.join(' ')}`);
    const pid = parsePid(positionals[0]);
    const tree = new DefaultTree();
    const cache = new DefaultCache();
    const first = seedAncestry(tree, cache, pid);
    if (!first.ok) {
      if (first.problem === 'gone') throw new UserError(`no process with pid ${pid} (it may have exited); for a past process use --at TIME`);
      if (first.problem === 'thread') throw new UserError(`${pid} is a thread of process ${first.tgid}, not a process: run 'proc-tree ancestry ${first.tgid}'`);
      throw new UserError(`cannot read process ${pid}: ${first.detail} (run as root, or check the hidepid mount option of /proc)`);
    }
    const chain = buildChainLinks(tree, cache, pid);
    const top = chain[chain.length - 1];
    if (top !== undefined && top.ppid !== 0 && top.ppid !== top.pid) {
      io.stderr.write(`proc-tree ancestry: chain ends at pid ${top.pid}: its parent ${top.ppid} exited or could not be read while walking /proc\n`);
    }
    if (json) io.stdout.write(JSON.stringify({ pid, chain: chain.map(toJson) }) + '\n');
    else io.stdout.write(toTable(chain) + '\n');
    return 0;
  },
};

export default command;
