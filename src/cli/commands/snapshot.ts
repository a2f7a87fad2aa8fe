import { formatTimeNs } from '../../time/format-time.js';
import { DefaultCache, DefaultTree } from '../../tree/default-tree.js';
import { display, rootPids } from '../../tree/display.js';
import { childIndex } from '../../tree/relatives.js';
import { snapshot, type SnapshotSummary } from '../../tree/snapshot.js';
import type { ProcInfo } from '../../tree/types.js';
import type { Command } from '../command.js';
import { parseCommandArgs } from '../parse-command-args.js';
import { UsageError, UserError } from '../user-error.js';

const USAGE = [
  'usage: proc-tree snapshot [--json]',
  '',
  'Prints every live process from /proc as a tree (pstree-style, `cmd(pid)`, children by pid).',
  '  --json   one JSON object: {"takenAt","takenAtNs","processes":[{pid,ppid,cmd,exe,argv,user,uid,euid,start,startNs}]}',
].join('\n');

function toJson(info: ProcInfo): Record<string, unknown> {
  return {
    pid: info.pid,
    ppid: info.ppid,
    cmd: info.cmd,
    exe: info.exe,
    argv: info.argv,
    user: info.user,
    uid: info.uid,
    euid: info.euid,
    start: formatTimeNs(info.startTimeNs),
    startNs: info.startTimeNs.toString(),
  };
}

const command: Command = {
  summary: 'the live process tree from /proc (pstree-style, or --json)',
  usage: USAGE,
  async run(args, io) {
    const { values } = parseCommandArgs({ args, options: { json: { type: 'boolean', default: false } } }, USAGE);
    const json = values.json === true;
    const takenAtNs = BigInt(Date.now()) * 1_000_000n;
    const tree = new DefaultTree();
    const cache = new DefaultCache();
    let summary: SnapshotSummary;
    try {
      summary = snapshot(tree, cache);
    } catch (error) {
      const code = error instanceof Error && 'code' in error ? String(error.code) : String(error);
      throw new UserError(`cannot list /proc (${code}): is procfs mounted?`);
    }
    if (summary.processes === 0) throw new UserError('no process could be read from /proc: is procfs mounted and readable?');
    if (json) {
      const processes = tree.allPids().sort((a, b) => a - b).map((pid) => toJson(cache.getInfo(pid)!));
      io.stdout.write(JSON.stringify({ takenAt: formatTimeNs(takenAtNs), takenAtNs: takenAtNs.toString(), processes }) + '\n');
    } else {
      const index = childIndex(tree);
      const text = rootPids(tree, index).map((root) => display(tree, root, index)).join('\n');
      io.stdout.write(text + '\n');
    }
    if (summary.unreadable > 0) {
      io.stderr.write(`proc-tree snapshot: ${summary.unreadable} process(es) could not be read (permissions?) and are missing\n`);
    }
    return 0;
  },
};

export default command;
