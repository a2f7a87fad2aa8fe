import { copyFileSync, readFileSync, truncateSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ProcTreeRunner } from '../proc-tree-runner.js';
import { RowTally } from '../judge-run.js';
import type { ReliabilityCaseOptions, ReliabilityRow } from '../reliability-row.js';

const SAMPLE = 'samples/auditd/daemon-double-fork/logs/audit.log';

/**
 * --db files that are not a usable history: not SQLite at all, cut short, written by a newer
 * proc-tree. Each is given to ingest and to a query; both must refuse with one line.
 */
export async function run(o: ReliabilityCaseOptions): Promise<ReliabilityRow[]> {
  const cli = new ProcTreeRunner(o.repoRoot);
  const sample = join(o.repoRoot, SAMPLE);
  const good = join(o.workDir, 'good.db');
  const made = await cli.run(['ingest', '--db', good, sample]);
  if (made.exitCode !== 0) throw new Error(`reference ingest failed: ${made.stderrTail}`);
  const goodBytes = readFileSync(good);

  const variants: { name: string; make: (path: string) => void }[] = [
    { name: 'an audit log given as --db', make: (p) => copyFileSync(sample, p) },
    { name: 'random bytes', make: (p) => writeFileSync(p, Buffer.from(Array.from({ length: 65536 }, (_, i) => (i * 2654435761) >>> 24))) },
    { name: 'SQLite header only', make: (p) => writeFileSync(p, goodBytes.subarray(0, 100)) },
    ...[0.25, 0.5, 0.9].map((f) => ({ name: `history cut at ${f * 100}%`, make: (p: string) => (writeFileSync(p, goodBytes), truncateSync(p, Math.floor(statSync(p).size * f))) })),
    { name: 'history with a newer schema version', make: (p: string) => bump(p, goodBytes) },
    { name: 'SQLite file of another application', make: (p: string) => other(p) },
  ];
  const tally = new RowTally();
  for (const [i, v] of variants.entries()) {
    for (const args of [['ingest', '--db', '@', sample], ['timeline', '--db', '@', '4516'], ['ancestry', '--db', '@', '4516', '--at', '1795589311.445']]) {
      const db = join(o.workDir, `bad-${i}-${args[0]}.db`);
      v.make(db);
      const r = await cli.run(args.map((a) => (a === '@' ? db : a)));
      tally.add(r, `${v.name} / ${args[0]}`);
      // Refusing is right; silently treating a damaged or foreign file as a history is not.
      if (r.exitCode === 0) tally.failures.push(`${v.name} / ${args[0]}: accepted (exit 0)`);
    }
  }
  const accepted = tally.exitCodes.get(0) ?? 0;
  return [
    {
      category: 'bad database',
      case: variants.map((v) => v.name).join('; '),
      inputsTried: tally.inputsTried,
      crashes: tally.crashes,
      internalErrors: tally.internalErrors,
      maxPeakRssMiB: tally.maxPeakRssMiB,
      command: 'npm run reliability -- --only bad-database',
      notes: `ingest, timeline and ancestry --at on each; ${tally.exitSummary()}${accepted > 0 ? `; ${accepted} accepted a bad file` : ''}${tally.failures.length ? `; ${tally.failures.join('; ')}` : ''}`,
    },
  ];
}

function bump(path: string, goodBytes: Buffer): void {
  writeFileSync(path, goodBytes);
  const db = new Database(path);
  db.pragma('user_version = 99');
  db.close();
}

function other(path: string): void {
  const db = new Database(path);
  db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes(body) VALUES (\'hello\')');
  db.close();
}
