import { commandOf } from '../../history/image-at.js';
import { openStore, optionalTime, parsePid, parseQueryArgs, toJsonLine } from '../../history/query-cli-args.js';
import { timeline, type TimelineEntry } from '../../history/timeline.js';
import { formatTimeNs } from '../../time/format-time.js';
import type { Command } from '../command.js';
import { UsageError, UserError } from '../user-error.js';
import { printableText } from '../printable-text.js';

const USAGE = [
  'usage: proc-tree timeline PID [--at TIME] [--db FILE] [--host NAME] [--json]',
  '',
  'Every process instance that held PID, oldest first: start/end, parents over time and execs,',
  'so pid reuse shows at a glance. --at marks the instance alive at TIME with `*`.',
  'Each line ends with its evidence: [file:line audit-event-id] or [file@offset].',
  '',
  '  --at TIME     TIME: epoch seconds (1697091526.357, up to 9 decimals) or ISO-8601 with a zone (2023-10-12T06:18:46.357Z)',
  '  --db FILE     history database (default ./proc-tree.db)',
  '  --host NAME   which host, when the database holds several',
  '  --json        {"host","pid","at"?,"instances":[{"pid","start","startNs","startKnown","end","endNs",',
  '                "endCertainty","creatorPid","aliveAtQuery","parents":[{"since","sinceNs","ppid","kind"}],',
  '                "images":[{"since","sinceNs","kind","exe","argv","comm","uid","user"}]}]}',
  'Exit status: 1 when the history has no record of PID.',
  '',
  'examples:',
  '  proc-tree timeline 4242',
  '  proc-tree timeline 4242 --at 2026-11-25T14:03:22.517Z --json',
].join('\n');

const where = (e: { file?: string; line?: number; offset?: number; id?: string } | undefined): string =>
  e === undefined ? '' : `  [${e.file ?? '?'}${e.line !== undefined ? `:${e.line}` : `@${e.offset ?? '?'}`}${e.id ? ` ${e.id}` : ''}]`;

function entryText(e: TimelineEntry): string {
  const i = e.instance;
  const lines: string[] = [];
  const start = `${i.startKnown ? 'started' : 'seen since'} ${formatTimeNs(i.startNs)}`;
  const end = i.endNs === undefined ? 'no end recorded' : `${i.endCertainty === 'inferred' ? `gone by (${i.endReason ?? 'inferred'})` : 'exited'} ${formatTimeNs(i.endNs)}${i.exitCode !== undefined ? ` code ${i.exitCode}` : ''}${i.exitSignal !== undefined ? ` signal ${i.exitSignal}` : ''}`;
  lines.push(`${e.aliveAtQuery ? '*' : ' '} pid ${i.pid}: ${start}, ${end}${i.creatorPid !== undefined ? `, forked by ${i.creatorPid}` : ''}${where(i.startEvidence)}`);
  for (const p of e.parents) lines.push(`    ${formatTimeNs(p.sinceNs)}  parent ${p.ppid} (${p.kind})${where(p.evidence)}`);
  for (const im of e.images) lines.push(`    ${formatTimeNs(im.sinceNs)}  ${im.kind} ${printableText(commandOf(im))}${im.exe ? `  exe=${printableText(im.exe)}` : ''}${im.uid !== undefined ? ` uid=${im.uid}` : ''}${where(im.evidence)}`);
  return lines.join('\n');
}

const command: Command = {
  summary: 'every instance that held a pid: start/end, parents and execs over time',
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseQueryArgs(args, { at: { type: 'string' } }, USAGE);
    if (positionals.length !== 1) throw new UsageError(`expected one PID\n${USAGE}`);
    const pid = parsePid(positionals[0], USAGE);
    const atNs = optionalTime(values.at as string | undefined);
    const store = await openStore(values.db);
    try {
      const result = await timeline(store, { pid, ...(values.host !== undefined ? { host: values.host } : {}), ...(atNs !== undefined ? { atNs } : {}) });
      if (result.entries.length === 0) throw new UserError(`no record of pid ${pid} in the history`);
      if (values.json) {
        const t = (ns: bigint | undefined) => (ns === undefined ? null : formatTimeNs(ns));
        io.stdout.write(
          toJsonLine({
            host: result.host,
            pid,
            ...(atNs !== undefined ? { at: formatTimeNs(atNs), atNs } : {}),
            instances: result.entries.map((e) => ({
              ...e.instance,
              // Every key the usage lists, null when unknown (a missing key reads as a format change).
              start: t(e.instance.startNs),
              end: t(e.instance.endNs),
              endNs: e.instance.endNs ?? null,
              endCertainty: e.instance.endCertainty ?? null,
              creatorPid: e.instance.creatorPid ?? null,
              aliveAtQuery: e.aliveAtQuery,
              parents: e.parents.map((p) => ({ ...p, since: t(p.sinceNs) })),
              images: e.images.map((im) => ({ ...im, exe: im.exe ?? null, argv: im.argv ?? null, comm: im.comm ?? null, uid: im.uid ?? null, user: im.user ?? null, since: t(im.sinceNs) })),
            })),
          }),
        );
      } else io.stdout.write(result.entries.map(entryText).join('\n') + '\n');
      return 0;
    } finally {
      await store.close();
    }
  },
};

export default command;
