import type { Command } from '../command.js';
import { closestOption } from '../parse-command-args.js';
import { UsageError } from '../user-error.js';

/** Options that only mean something for a past time (the live form reads /proc). */
const HISTORY_ONLY = ['--db', '--host', '--lineage'];
/** Every long option of both forms, without dashes: for "did you mean" before routing. */
const ALL_OPTIONS = ['at', 'db', 'host', 'lineage', 'json', 'help'];

const USAGE = [
  'usage: proc-tree ancestry PID [--json]                      live, from /proc',
  '       proc-tree ancestry PID --at TIME [--db FILE|URL] [--host NAME] [--lineage parent|creator] [--json]',
  '',
  'The chain of PID, the process itself first, then its parent, up to pid 1 (or as far as the',
  'evidence goes). Without --at: the live chain from /proc. With --at: the chain at that past',
  'time from the history database (see `proc-tree ingest`), each parent being the one /proc',
  'showed then, pid reuse resolved by start time.',
  '',
  '  --at TIME           the past moment. TIME is epoch seconds (1697091526.357, up to 9 decimals)',
  '                      or ISO-8601 with a zone (2023-10-12T06:18:46.357Z, 2023-10-12 08:18:46+02:00)',
  '  --db FILE|URL       history: a SQLite file or postgres:// URL (default: $PROC_TREE_DB, PG*, ./proc-tree.db)',
  '  --host NAME         which host, when the database holds several; without it: the one host that',
  '                      recorded PID (of several, the one where it was alive at TIME), else refused naming them',
  '  --lineage creator   follow who forked each process instead of the parent at that time',
  '  --json              one JSON object: {"pid","at","atNs","host","lineage","chain":[{"pid","ppid",',
  '                      "cmd","exe","argv","comm","user","uid","start","startNs","startKnown","end","endNs",',
  '                      "notes"?}],"complete","uncertain","notes"?}  (live: {"pid","chain":[...]}); init without',
  '                      a recorded start (text: from boot): start/startNs null, "fromBoot":true,',
  '                      "firstRecorded","firstRecordedNs"',
  '',
  'Text output: `~` before a start time means "seen since" (the process existed before its first',
  'record); UNCERTAIN lists why a link may be wrong (lost events, inferred exits, ...).',
  'Exit status: 0 with a chain, 1 when no process held PID at that time, 2 for a bad invocation.',
  '',
  'examples:',
  '  proc-tree ancestry 4242',
  '  proc-tree ancestry 4242 --at 2026-11-25T14:03:22.517Z --db host1.db',
  '  proc-tree ancestry 4242 --at 1764079402.517 --json | jq -r \'.chain[].cmd\'',
].join('\n');

/**
 * `ancestry PID` reads the live /proc; `ancestry PID --at TIME` asks the history database.
 * One user-facing command, two owners: this file only routes.
 */
const ancestry: Command = {
  summary: 'ancestry chain of a pid, self first: live from /proc, or at a past time with --at',
  usage: USAGE,
  async run(args, io) {
    const historical = args.some((a) => a === '--at' || a.startsWith('--at='));
    if (!historical) {
      // A mistyped --at would route to the live form, which then blames --db: name the typo.
      for (const a of args) {
        const name = a.startsWith('--') ? a.slice(2).split('=')[0]! : undefined;
        if (name === undefined || name === '' || ALL_OPTIONS.includes(name)) continue;
        const guess = closestOption(name, ALL_OPTIONS);
        throw new UsageError(`unknown option --${name}${guess !== undefined ? ` (did you mean --${guess}?)` : ''}; see proc-tree ancestry --help`);
      }
      const given = args.find((a) => HISTORY_ONLY.some((o) => a === o || a.startsWith(`${o}=`)));
      // Without --at the live parser would call these "unknown options": say what is missing.
      if (given !== undefined) throw new UsageError(`${given.split('=')[0]} needs --at TIME (without --at, ancestry reads the live /proc)`);
    }
    const module = historical ? await import('./ancestry-at.js') : await import('./ancestry-live.js');
    return module.default.run(args, io);
  },
};

export default ancestry;
