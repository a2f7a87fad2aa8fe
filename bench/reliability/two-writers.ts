import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalDump } from '../../test/ingest/canonical-dump.js';
import { measureCommand } from '../harness/measure-command.js';
import type { ProcTreeCli } from '../harness/proc-tree-cli.js';
import { CliProcess, until } from './cli-process.js';
import { committedInstances } from './follow-process.js';

/**
 * The one line a writer refused by the lock prints, naming the holder by pid and command
 * line (src/ingest/writer-lock.ts, busyMessage), and nothing else on stderr.
 */
export function writerRefusal(db: string, holderPid: number, holderArgs: string[]): RegExp {
  const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  return new RegExp(
    `^proc-tree (ingest|watch): ${esc(db)} is being written by pid ${holderPid} \\(${esc(['proc-tree', ...holderArgs].join(' '))}\\) since \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ; wait for it, or pass --wait \\[SECONDS\\] to queue behind it\\n$`,
  );
}

/** A writer that holds the lock while the caller collides with it, until `finish()`. */
export interface HeldWriter {
  process: CliProcess;
  /** Lets it end by itself: the rest of its input, or Ctrl-C for a follow. */
  finish(): Promise<void>;
}

/** `ingest --follow LOG` into db, once it holds the lock and has committed processes; finish = Ctrl-C. */
export async function followingWriter(cli: ProcTreeCli, db: string, log: string): Promise<HeldWriter> {
  const p = new CliProcess(cli, ['ingest', '--follow', '--db', db, log]);
  await until('the follow to start writing', () => p.stderr().includes('following ') || !p.running());
  await until('committed rows', () => committedInstances(db) > 0 || !p.running());
  if (!p.running()) throw new Error(`ingest --follow ended early: ${(await p.done).stderr.trim().split('\n').pop()}`);
  return { process: p, finish: async () => void (await p.signal('SIGINT')) };
}

/** How pipedWriter feeds its first part: 16 KiB every 50 ms. */
const PIPE_PIECE_BYTES = 16_384;
const PIPE_PAUSE_MS = 50;

/**
 * `ingest -` into db, fed LOG through a pipe: the first `firstBytes` at once, the rest on
 * finish(). Between the two it holds the lock with processes committed, as long as the
 * caller needs: a plain ingest that a second writer meets mid-run on any machine speed.
 */
export async function pipedWriter(cli: ProcTreeCli, db: string, log: string, firstBytes: number, commitEvery = '300'): Promise<HeldWriter> {
  const p = new CliProcess(cli, ['ingest', '--commit-every', commitEvery, '--db', db, '-'], { stdin: 'pipe' });
  const bytes = readFileSync(log);
  // In pieces, as a live pipe delivers: the CLI commits when a piece arrives and a commit is
  // due, so one burst followed by silence leaves it all uncommitted until more comes. Fed
  // until something is committed (at least firstBytes), keeping the last tenth for finish().
  const last = bytes.lastIndexOf(0x0a, Math.floor(bytes.length * 0.9)) + 1;
  let cut = 0;
  while (cut < last && (cut < firstBytes || committedInstances(db) === 0) && p.running()) {
    const next = bytes.indexOf(0x0a, Math.min(last - 1, cut + PIPE_PIECE_BYTES)) + 1;
    await p.write(bytes.subarray(cut, next));
    cut = next;
    await new Promise((r) => setTimeout(r, PIPE_PAUSE_MS));
  }
  await until('committed rows', () => committedInstances(db) > 0 || !p.running());
  if (!p.running()) throw new Error(`ingest - ended early: ${(await p.done).stderr.trim().split('\n').pop()}`);
  return {
    process: p,
    finish: async () => {
      await p.write(bytes.subarray(cut));
      p.endInput();
      await p.done;
    },
  };
}

/** One input of a solo ingest: a path, or a file fed to `ingest -` on stdin. */
export type SoloInput = { path: string } | { stdin: string };

/** The inputs ingested alone, one after the other, into a fresh database: the reference dump. */
export async function soloDump(cli: ProcTreeCli, dir: string, inputs: SoloInput[]): Promise<Record<string, string[]>> {
  const db = join(dir, 'solo.db');
  for (const input of inputs) {
    const r =
      'path' in input
        ? await measureCommand(cli.argv(['ingest', '--db', db, input.path]), { cwd: cli.repoRoot })
        : await measureCommand(cli.argv(['ingest', '--db', db, '-']), { cwd: cli.repoRoot, stdinFile: input.stdin });
    if (r.exitCode !== 0) throw new Error(`solo ingest of ${JSON.stringify(input)}: exit ${r.exitCode}: ${r.stderrTail.trim().split('\n').pop()}`);
  }
  return canonicalDump(db);
}
