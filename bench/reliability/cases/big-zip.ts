import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalDump } from '../../../test/ingest/canonical-dump.js';
import { RowTally } from '../judge-run.js';
import { ProcTreeRunner } from '../proc-tree-runner.js';
import type { ReliabilityCaseOptions, ReliabilityRow } from '../reliability-row.js';

/** Entries of the archive (issue 11: "a .zip with 10,000 entries"). */
export const ZIP_ENTRIES = 10_000;
/** Every this-many-th entry is empty (a zip of logs may hold empty files). */
const EMPTY_EVERY = 10;

export interface BigZip {
  zip: string;
  /** The same lines as one plain file, for the reference ingest. */
  plain: string;
  entries: number;
  emptyEntries: number;
  lines: number;
  bytes: number;
}

/**
 * Every real capture's logs (samples/auditd/NAME/logs, oldest file first), cut at line
 * boundaries into `entries` pieces named piece-00000.log ... (read in name order), zipped
 * with Info-ZIP `zip`; every EMPTY_EVERY-th entry empty.
 */
export function buildBigZip(repoRoot: string, dir: string, entries = ZIP_ENTRIES): BigZip {
  const root = join(repoRoot, 'samples', 'auditd');
  const lines: string[] = [];
  for (const capture of readdirSync(root).sort()) {
    const logs = join(root, capture, 'logs');
    let files: string[];
    try {
      files = readdirSync(logs).filter((f) => /^audit\.log(\.\d+)?$/.test(f));
    } catch {
      continue;
    }
    files.sort((a, b) => rotation(b) - rotation(a)); // audit.log.2, audit.log.1, audit.log
    for (const f of files) lines.push(...readFileSync(join(logs, f), 'latin1').split('\n').filter((l) => l.length > 0));
  }
  const pieces = join(dir, 'pieces');
  mkdirSync(pieces, { recursive: true });
  const full = entries - Math.floor(entries / EMPTY_EVERY);
  let next = 0;
  let filled = 0;
  for (let i = 0; i < entries; i++) {
    let text = '';
    if ((i + 1) % EMPTY_EVERY !== 0) {
      const upto = Math.floor(((filled + 1) * lines.length) / full);
      text = lines.slice(next, upto).map((l) => `${l}\n`).join('');
      next = upto;
      filled++;
    }
    writeFileSync(join(pieces, `piece-${String(i).padStart(5, '0')}.log`), text, 'latin1');
  }
  const zip = join(dir, 'pieces.zip');
  execFileSync('zip', ['-q', '-r', '-9', zip, 'pieces'], { cwd: dir });
  const plain = join(dir, 'all.log');
  writeFileSync(plain, lines.map((l) => `${l}\n`).join(''), 'latin1');
  return { zip, plain, entries, emptyEntries: entries - full, lines: lines.length, bytes: readFileSync(plain).length };
}

function rotation(name: string): number {
  const m = /\.(\d+)$/.exec(name);
  return m === null ? 0 : Number(m[1]);
}

/** A dump with evidence (file:offset:line:record) left out: the zip names each entry, the reference one file. */
export function dumpWithoutEvidence(db: string, ...paths: string[]): Record<string, string[]> {
  const dump = canonicalDump(db);
  const strip = (row: string): string =>
    row
      .split('|')
      .map((f) => (paths.some((p) => f.startsWith(p)) ? 'EV' : f))
      .join('|');
  return Object.fromEntries(Object.entries(dump).map(([k, rows]) => [k, rows.map(strip).sort()]));
}

export interface BigZipResult {
  input: BigZip;
  tally: RowTally;
  ingestWallS: number;
  ingestRssMiB: number;
  rerunWallS: number;
  /** The zip's database equals an ingest of the same lines as one plain file (evidence aside). */
  sameAsPlain: boolean;
  instances: number;
}

/** Ingests the big zip, ingests it again (nothing to do), and compares with the plain ingest. */
export async function tryBigZip(repoRoot: string, workDir: string, entries = ZIP_ENTRIES): Promise<BigZipResult> {
  const cli = new ProcTreeRunner(repoRoot);
  const input = buildBigZip(repoRoot, workDir, entries);
  const tally = new RowTally();
  const db = join(workDir, 'zip.db');
  const first = await cli.run(['ingest', '--db', db, input.zip]);
  tally.add(first, 'ingest of the zip');
  const again = await cli.run(['ingest', '--db', db, input.zip]);
  tally.add(again, 'second ingest of the zip');
  const ref = join(workDir, 'plain.db');
  const plain = await cli.run(['ingest', '--db', ref, input.plain]);
  if (plain.exitCode !== 0) throw new Error(`reference ingest of the plain file: exit ${plain.exitCode}: ${plain.stderrTail}`);
  const mine = dumpWithoutEvidence(db, `${input.zip}!/`);
  const want = dumpWithoutEvidence(ref, input.plain);
  return {
    input,
    tally,
    ingestWallS: first.wallS,
    ingestRssMiB: first.maxRssKb / 1024,
    rerunWallS: again.wallS,
    sameAsPlain: JSON.stringify(mine) === JSON.stringify(want),
    instances: mine.instances?.length ?? 0,
  };
}

/** A .zip of 10,000 entries (real log pieces and empty ones): ingested in seconds, like the plain file. */
export async function run(o: ReliabilityCaseOptions): Promise<ReliabilityRow[]> {
  const r = await tryBigZip(o.repoRoot, o.workDir, o.quick ? 1000 : ZIP_ENTRIES);
  const i = r.input;
  return [
    {
      category: 'compressed input',
      case: `.zip of ${i.entries} entries: every capture's logs (${i.lines} lines, ${(i.bytes / 1e6).toFixed(1)} MB) cut into ${i.entries - i.emptyEntries} pieces, ${i.emptyEntries} empty entries; ingested, then ingested again`,
      inputsTried: r.tally.inputsTried,
      crashes: r.tally.crashes,
      internalErrors: r.tally.internalErrors,
      maxPeakRssMiB: r.tally.maxPeakRssMiB,
      dumpsIdentical: r.sameAsPlain,
      command: 'npm run reliability -- --only big-zip',
      notes:
        `${r.tally.exitSummary()}; ingest ${r.ingestWallS.toFixed(1)} s wall, peak RSS ${r.ingestRssMiB.toFixed(0)} MiB; the re-run reads nothing new in ${r.rerunWallS.toFixed(1)} s; ` +
        `${r.instances} processes, the same history as an ingest of the lines as one plain file (dump without evidence positions): ${r.sameAsPlain ? 'yes' : 'NO'}` +
        (r.tally.failures.length ? `; ${r.tally.failures.join('; ')}` : ''),
    },
  ];
}
