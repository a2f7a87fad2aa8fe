import { join } from 'node:path';
import { canonicalDump } from '../../../test/ingest/canonical-dump.js';
import { measureCommand } from '../../harness/measure-command.js';
import { ProcTreeCli } from '../../harness/proc-tree-cli.js';
import { DISK_FULL_LINE, diskFullTrial, FREED_SIZE, queryBehaved } from '../disk-full.js';
import { RowTally } from '../judge-run.js';
import type { ReliabilityCaseOptions, ReliabilityRow } from '../reliability-row.js';

/** A real capture with rotated files; its history is about 225 KB (file + WAL more while writing). */
export const DISK_FULL_LOGS = 'samples/auditd/busy-machine-rotation/logs';
/**
 * tmpfs sizes, KiB: too small to create the file and its -shm (8, 16), out of room at a
 * commit mid-ingest (32-350), at the final checkpoint (400, 500). test/reliability/disk-full.test.ts
 * runs four of them.
 */
export const SIZES_KIB = [8, 16, 32, 64, 100, 150, 200, 250, 300, 350, 400, 500];
const QUICK_SIZES_KIB = [16, 300];

/** Ingest into a real tmpfs that fills up, query what is left, grow it, ingest again. */
export async function run(o: ReliabilityCaseOptions): Promise<ReliabilityRow[]> {
  if (process.getuid?.() !== 0) throw new Error('the disk-full case mounts tmpfs file systems: run it as root');
  const cli = new ProcTreeCli(o.repoRoot);
  const logs = join(o.repoRoot, DISK_FULL_LOGS);
  const reference = join(o.workDir, 'reference.db');
  const ref = await measureCommand(cli.argv(['ingest', '--db', reference, logs]), { cwd: cli.repoRoot });
  if (ref.exitCode !== 0) throw new Error(`uninterrupted ingest: exit ${ref.exitCode}: ${ref.stderrTail.trim().split('\n').pop()}`);
  const expected = JSON.stringify(canonicalDump(reference));
  const tally = new RowTally();
  let oneLine = 0;
  let fit = 0;
  let answered = 0;
  let unreadable = 0;
  let nothingStored = 0;
  let dumps = 0;
  const full: number[] = [];
  const failures: string[] = [];
  const sizes = o.quick ? QUICK_SIZES_KIB : SIZES_KIB;
  for (const kib of sizes) {
    const t = await diskFullTrial(cli, o.workDir, [logs], kib, expected);
    tally.add(t.first, `${kib} KiB ingest`);
    tally.add(t.query, `${kib} KiB query`);
    tally.add(t.again, `${kib} KiB re-run`);
    if (t.first.exitCode === 0) fit++;
    else if (t.first.exitCode === 74 && DISK_FULL_LINE.test(t.first.stderrTail)) {
      oneLine++;
      full.push(kib);
    } else failures.push(`${kib} KiB: exit ${t.first.exitCode}: ${t.first.stderrTail.trim().split('\n').slice(-2).join(' / ').slice(0, 160)}`);
    if (!queryBehaved(t)) failures.push(`${kib} KiB: query exit ${t.query.exitCode}: ${t.query.stderrTail.trim().split('\n').pop()}`);
    else if (t.stored === 'unreadable') unreadable++;
    else if (t.stored === undefined) nothingStored++;
    else answered++;
    if (t.dumpEqual) dumps++;
    else failures.push(`${kib} KiB: re-run exit ${t.again.exitCode}, dump ${t.again.exitCode === 0 ? 'differs' : 'not compared'}`);
  }
  return [
    {
      category: 'disk full',
      case: `ingest of ${DISK_FULL_LOGS} (--commit-every 300) into a real tmpfs of ${sizes.join(', ')} KiB; a query; the tmpfs grown to ${FREED_SIZE}; the same ingest again`,
      inputsTried: tally.inputsTried,
      crashes: tally.crashes,
      internalErrors: tally.internalErrors,
      maxPeakRssMiB: tally.maxPeakRssMiB,
      dumpsIdentical: dumps === sizes.length,
      command: 'npm run reliability -- --only disk-full',
      notes:
        `disk full said in one line with exit 74: ${oneLine}/${sizes.length} (${full.join(', ')} KiB)${fit ? `, fitted: ${fit}` : ''}; ` +
        `the query after it: answered for the first stored pid ${answered}, nothing stored ${nothingStored}, 'cannot read ... free some space' in one line ${unreadable} (a WAL file whose -shm cannot be made); ` +
        `re-run after space was freed: exit 0 with the uninterrupted ingest's canonical dump ${dumps}/${sizes.length}; ${tally.exitSummary()}` +
        (failures.length ? `; FAILED: ${failures.slice(0, 3).join('; ')}` : ''),
    },
  ];
}
