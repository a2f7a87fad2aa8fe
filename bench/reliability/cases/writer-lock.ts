import { mkdtempSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { canonicalDump } from '../../../test/ingest/canonical-dump.js';
import { measureCommand, type CommandRun } from '../../harness/measure-command.js';
import { ProcTreeCli } from '../../harness/proc-tree-cli.js';
import { CliProcess, type CliExit } from '../cli-process.js';
import { RowTally } from '../judge-run.js';
import type { ReliabilityCaseOptions, ReliabilityRow } from '../reliability-row.js';
import { followingWriter, pipedWriter, soloDump, writerRefusal, type HeldWriter, type SoloInput } from '../two-writers.js';

/**
 * What the first writer ingests: the two largest real captures (630-690 KB). A smaller log
 * fed through a pipe is read whole before the CLI's first commit, leaving nothing to query.
 */
export const HOLDER_LOGS = ['samples/auditd/busy-machine-rotation/logs/audit.log', 'samples/auditd/net-files-login/logs/audit.log'];
/** Collisions per holder log and kind. */
const REPEATS = 2;
/** What every second writer tries to ingest meanwhile. */
export const SECOND_LOG = 'samples/auditd/exec-chain/logs/audit.log';
/** `--wait SECONDS` of the second writer that must give up with the refusal. */
const SHORT_WAIT_S = 0.5;
/** How long the queued `--wait` writer is watched to stay silent while the holder writes, ms. */
const QUEUED_SILENT_MS = 500;

type HolderKind = 'ingest -' | 'ingest --follow';

interface Counts {
  rounds: number;
  refused: Record<string, [number, number]>;
  readers: [number, number];
  queued: [number, number];
  holdersClean: [number, number];
  dumps: [number, number];
  takeovers: [number, number];
  failures: string[];
}

/**
 * Two writers on one database, every way the CLI has: a holder (a plain ingest fed through
 * a pipe, or `ingest --follow`) writes a real capture; meanwhile ingest, ingest --follow,
 * watch and ingest --wait 0.5 are refused, readers query, ingest --wait queues; then the
 * holder ends, the queued one ingests, and the database equals the two ingests run alone.
 * Last, a holder killed with kill -9 is taken over by the next writer.
 */
export async function run(o: ReliabilityCaseOptions): Promise<ReliabilityRow[]> {
  const cli = new ProcTreeCli(o.repoRoot);
  const logs = HOLDER_LOGS.map((l) => join(o.repoRoot, l));
  const second = join(o.repoRoot, SECOND_LOG);
  const tally = new RowTally();
  const c: Counts = { rounds: 0, refused: {}, readers: [0, 0], queued: [0, 0], holdersClean: [0, 0], dumps: [0, 0], takeovers: [0, 0], failures: [] };
  const started = Date.now();
  for (let i = 0; i < (o.quick ? 1 : REPEATS); i++) {
    for (const log of logs) {
      for (const kind of ['ingest -', 'ingest --follow'] as const) await collide(cli, o.workDir, kind, log, second, tally, c);
      await takeover(cli, o.workDir, log, tally, c);
    }
  }
  const refusedAll = Object.values(c.refused).reduce((a, [n, of]) => [a[0] + n, a[1] + of], [0, 0]);
  const ok = ([n, of]: [number, number]): boolean => n === of;
  return [
    {
      category: 'concurrent writers',
      case: `a second writer while a first one writes a real capture (${logs.length} captures x 2 holders: ingest fed through a pipe, ingest --follow): ingest, ingest --follow, watch, ingest --wait ${SHORT_WAIT_S}, ingest --wait; readers meanwhile; a holder killed with kill -9`,
      inputsTried: tally.inputsTried,
      crashes: tally.crashes,
      internalErrors: tally.internalErrors,
      maxPeakRssMiB: tally.maxPeakRssMiB,
      dumpsIdentical: ok(c.dumps) && ok(c.takeovers),
      command: 'npm run reliability -- --only writer-lock',
      notes:
        `${c.rounds} rounds; refused in one line naming the holder's pid and command, exit 75: ${refusedAll[0]}/${refusedAll[1]} (${Object.entries(c.refused).map(([k, [n, of]]) => `${k} ${n}/${of}`).join(', ')}); ` +
        `readers (timeline, ancestry --at) answered during the write: ${c.readers[0]}/${c.readers[1]}; ingest --wait stayed silent while queued, then ingested: ${c.queued[0]}/${c.queued[1]}; ` +
        `holders ended exit 0 without a lock error: ${c.holdersClean[0]}/${c.holdersClean[1]}; final canonical dumps equal the two ingests run alone one after the other: ${c.dumps[0]}/${c.dumps[1]}; ` +
        `kill -9 of the holder, the next ingest took over with a note naming it and ended with the solo dump: ${c.takeovers[0]}/${c.takeovers[1]}; ${tally.exitSummary()}; ${((Date.now() - started) / 1000).toFixed(0)} s` +
        (c.failures.length ? `; FAILED: ${c.failures.slice(0, 3).join('; ')}` : ''),
    },
  ];
}

async function collide(cli: ProcTreeCli, workDir: string, kind: HolderKind, log: string, second: string, tally: RowTally, c: Counts): Promise<void> {
  const dir = mkdtempSync(join(workDir, 'round-'));
  const db = join(dir, 'h.db');
  const label = `${kind} of ${log.split('/').slice(-3, -2)[0]}`;
  const fail = (s: string): void => void c.failures.push(`${label}: ${s}`);
  c.rounds++;
  const first: SoloInput = kind === 'ingest -' ? { stdin: log } : { path: log };
  const solo = await soloDump(cli, dir, [first, { path: second }]);
  const held: HeldWriter = kind === 'ingest -' ? await pipedWriter(cli, db, log, Math.floor(statSync(log).size / 2)) : await followingWriter(cli, db, log);
  const expected = writerRefusal(db, await held.process.pid(), held.process.args);

  const attempts: [string, string[]][] = [
    ['ingest', ['ingest', '--db', db, second]],
    ['ingest --follow', ['ingest', '--follow', '--db', db, second]],
    ['watch', ['watch', '--db', db]],
    [`ingest --wait ${SHORT_WAIT_S}`, ['ingest', '--db', db, '--wait', String(SHORT_WAIT_S), second]],
  ];
  const runs = await Promise.all(attempts.map(([, args]) => measureCommand(cli.argv(args), { cwd: cli.repoRoot })));
  for (const [i, r] of runs.entries()) {
    const [name] = attempts[i]!;
    tally.add(r, `${label} / ${name}`);
    const tried = (c.refused[name] ??= [0, 0]);
    tried[1]++;
    const waitedEnough = !name.includes('--wait') || r.wallS >= SHORT_WAIT_S;
    if (r.exitCode === 75 && expected.test(r.stderrTail) && waitedEnough) tried[0]++;
    else fail(`${name}: exit ${r.exitCode} after ${r.wallS.toFixed(2)} s: ${r.stderrTail.trim().split('\n').slice(-2).join(' / ').slice(0, 160)}`);
  }

  for (const args of readerQueries(db)) {
    const r = await measureCommand(cli.argv(args), { cwd: cli.repoRoot, captureStdout: true });
    tally.add(r, `${label} / ${args[0]}`);
    c.readers[1]++;
    if (r.exitCode === 0 && r.stdout.includes(args[1]!)) c.readers[0]++;
    else fail(`${args.join(' ')}: exit ${r.exitCode}: ${r.stderrTail.trim().split('\n').pop()}`);
  }

  const queued = new CliProcess(cli, ['ingest', '--wait', '--db', db, second]);
  await new Promise((r) => setTimeout(r, QUEUED_SILENT_MS));
  const silent = queued.running() && queued.stderr() === '';
  await held.finish();
  const holder = await held.process.done;
  add(tally, holder, `${label} / holder`);
  c.holdersClean[1]++;
  if (holder.code === 0 && !/locked|being written|SqliteError/.test(holder.stderr)) c.holdersClean[0]++;
  else fail(`holder: exit ${holder.code}: ${holder.stderr.trim().split('\n').pop()}`);
  const after = await queued.done;
  add(tally, after, `${label} / ingest --wait`);
  c.queued[1]++;
  if (silent && after.code === 0 && !/being written|took over/.test(after.stderr)) c.queued[0]++;
  else fail(`ingest --wait: ${silent ? '' : 'not silent while queued; '}exit ${after.code}: ${after.stderr.trim().split('\n').pop()}`);
  c.dumps[1]++;
  if (JSON.stringify(canonicalDump(db)) === JSON.stringify(solo)) c.dumps[0]++;
  else fail('canonical dump differs from the solo ingests');
}

/** A holder (ingest --follow) killed with kill -9: the next ingest takes over, says so once, and ends with the solo dump. */
async function takeover(cli: ProcTreeCli, workDir: string, log: string, tally: RowTally, c: Counts): Promise<void> {
  const dir = mkdtempSync(join(workDir, 'takeover-'));
  const db = join(dir, 'h.db');
  const solo = await soloDump(cli, dir, [{ path: log }]);
  const held = await followingWriter(cli, db, log);
  const pid = await held.process.pid();
  await held.process.signal('SIGKILL');
  const next = await measureCommand(cli.argv(['ingest', '--db', db, log]), { cwd: cli.repoRoot });
  tally.add(next, `takeover of ${log}`);
  const notes = next.stderrTail.split('\n').filter((l) => l.startsWith('proc-tree ingest: note: took over'));
  c.takeovers[1]++;
  const named = notes.length === 1 && notes[0]!.includes(`from pid ${pid} (${['proc-tree', ...held.process.args].join(' ')}) since `) && notes[0]!.includes(`pid ${pid} is no longer running`);
  if (next.exitCode === 0 && named && JSON.stringify(canonicalDump(db)) === JSON.stringify(solo)) c.takeovers[0]++;
  else c.failures.push(`takeover of ${log}: exit ${next.exitCode}, ${notes.length} take-over note(s): ${next.stderrTail.trim().split('\n').pop()}`);
}

/** timeline and ancestry --at of the first process the holder has committed; args[1] is the pid the answer must show. */
function readerQueries(db: string): string[][] {
  const reader = new Database(db, { readonly: true });
  try {
    const row = reader.prepare('SELECT pid, start_ns / 1000000 AS ms FROM instances WHERE start_known = 1 ORDER BY start_ns LIMIT 1').get() as { pid: number; ms: number } | undefined;
    if (row === undefined) return [];
    const at = ((row.ms + 1) / 1000).toFixed(3);
    return [
      ['timeline', String(row.pid), '--db', db],
      ['ancestry', String(row.pid), '--at', at, '--db', db],
    ];
  } finally {
    reader.close();
  }
}

function add(tally: RowTally, e: CliExit, label: string): void {
  const run: CommandRun = { argv: [], wallS: e.ms / 1000, userS: NaN, sysS: NaN, maxRssKb: e.maxRssKb, exitCode: e.code, stdout: e.stdout, stderrTail: e.stderr };
  tally.add(run, label);
}
