import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { canonicalDump } from '../../../test/ingest/canonical-dump.js';
import { SeededRandom } from '../../synth/seeded-random.js';
import { RowTally } from '../judge-run.js';
import { ProcTreeRunner } from '../proc-tree-runner.js';
import type { ReliabilityCaseOptions, ReliabilityRow } from '../reliability-row.js';

/** A real capture, 694 KB plain, ~36 KB with gzip -9: big enough for many deflate blocks. */
export const GZIP_SAMPLE = 'samples/auditd/net-files-login/logs/audit.log';
/** gzip header (10 bytes, no optional fields from zlib) and trailer (CRC-32, ISIZE). */
const HEADER_BYTES = 10;
const TRAILER_BYTES = 8;

export interface DamagedVariant {
  kind: 'truncated' | 'corrupted';
  /** 'cut at 12345 of 35684', 'byte 2000 xor 0x5a', 'CRC-32 zeroed'. */
  label: string;
  bytes: Buffer;
}

/** Cuts at seeded offsets (plus header-only and trailer-less) and seeded byte flips in the deflate stream, plus a bad CRC and ISIZE. */
export function damagedVariants(gz: Buffer, seed: number, cuts: number, flips: number): DamagedVariant[] {
  const rng = new SeededRandom(seed);
  const out: DamagedVariant[] = [];
  const cutAt = [HEADER_BYTES, gz.length - TRAILER_BYTES, gz.length - 1, ...Array.from({ length: Math.max(0, cuts - 3) }, () => rng.range(HEADER_BYTES + 1, gz.length - TRAILER_BYTES))];
  for (const n of cutAt.slice(0, cuts)) out.push({ kind: 'truncated', label: `cut at ${n} of ${gz.length}`, bytes: gz.subarray(0, n) });
  for (let i = 0; i < flips; i++) {
    const at = rng.range(HEADER_BYTES, gz.length - TRAILER_BYTES);
    const mask = 1 + rng.int(255);
    const bytes = Buffer.from(gz);
    bytes[at] = bytes[at]! ^ mask;
    out.push({ kind: 'corrupted', label: `byte ${at} xor 0x${mask.toString(16)}`, bytes });
  }
  for (const [label, at] of [['CRC-32 zeroed', gz.length - 8], ['ISIZE zeroed', gz.length - 4]] as const) {
    const bytes = Buffer.from(gz);
    bytes.fill(0, at, at + 4);
    out.push({ kind: 'corrupted', label, bytes });
  }
  return out;
}

export interface DamagedOutcome {
  variant: DamagedVariant;
  exitCode: number;
  /** A stderr line `proc-tree ingest: ...` naming the damaged file. */
  namedInOneLine: boolean;
  /** The note says that lines read before the error may be altered (corrupt data, not a cut). */
  warnsAltered: boolean;
  /** Nothing was stored, yet a database file is left (the run must remove the one it created). */
  leftBehind: boolean;
  crashed: boolean;
  internalError: boolean;
  /** sources.committed_offset: decompressed bytes stored. */
  committedOffset: number;
  instances: number;
  /** The database equals an ingest of the plain capture cut at committedOffset. */
  equalsPlainPrefix: boolean;
  /** timeline and ancestry --at of the last process stored answer (exit 0, naming it). */
  queriesAnswer: boolean;
  /** ... with the same text as on the plain prefix's database. */
  queriesLikePrefix: boolean;
  /** A second ingest of the same damaged file leaves the database as it was. */
  rerunUnchanged: boolean;
}

export interface DamagedGzipResult {
  outcomes: DamagedOutcome[];
  tally: RowTally;
}

/**
 * Ingests each damaged .gz into a fresh database, then checks what is stored against an
 * ingest of the plain capture cut where the damaged run says it stopped, asks timeline
 * and ancestry --at about the last process stored, and ingests the damaged file again.
 */
export async function tryDamagedGzip(repoRoot: string, workDir: string, variants: DamagedVariant[]): Promise<DamagedGzipResult> {
  const cli = new ProcTreeRunner(repoRoot);
  const plain = readFileSync(join(repoRoot, GZIP_SAMPLE));
  const tally = new RowTally();
  const prefixes = new Map<number, string>();
  const prefixDb = async (n: number): Promise<string> => {
    let db = prefixes.get(n);
    if (db !== undefined) return db;
    const dir = join(workDir, `prefix-${n}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'audit.log'), plain.subarray(0, n));
    db = join(dir, 'h.db');
    const r = await cli.run(['ingest', '--db', db, join(dir, 'audit.log')]);
    if (r.exitCode !== 0 && !(n === 0 && r.exitCode === 1)) throw new Error(`plain prefix of ${n} bytes: ingest exit ${r.exitCode}: ${r.stderrTail}`);
    prefixes.set(n, db);
    return db;
  };
  const outcomes: DamagedOutcome[] = [];
  for (const [i, variant] of variants.entries()) {
    const dir = join(workDir, `v${i}`);
    mkdirSync(dir);
    const file = join(dir, 'audit.log.1.gz');
    writeFileSync(file, variant.bytes);
    const db = join(dir, 'h.db');
    const r = await cli.run(['ingest', '--db', db, file]);
    const verdict = tally.add(r, variant.label);
    const namedInOneLine = r.stderrTail.split('\n').some((l) => l.startsWith('proc-tree ingest: ') && l.includes(file));
    const warnsAltered = r.stderrTail.includes('may be altered');
    const stored = storedState(db);
    let equalsPlainPrefix = false;
    let queriesAnswer = false;
    let queriesLikePrefix = false;
    let rerunUnchanged = false;
    if (stored !== undefined) {
      const reference = await prefixDb(stored.committedOffset);
      const refFile = join(reference, '..', 'audit.log');
      const dump = dumpAs(db, file, 'FILE');
      equalsPlainPrefix = JSON.stringify(dump) === JSON.stringify(dumpAs(reference, refFile, 'FILE'));
      ({ answer: queriesAnswer, same: queriesLikePrefix } = await askBoth(cli, tally, db, file, reference, refFile, stored.last));
      const again = await cli.run(['ingest', '--db', db, file]);
      tally.add(again, `${variant.label} (re-run)`);
      rerunUnchanged = JSON.stringify(dumpAs(db, file, 'FILE')) === JSON.stringify(dump);
    } else {
      // Nothing could be stored (exit 1): the run removes the database it created, so
      // there is nothing to ask or re-run; leftBehind says whether it did.
      queriesAnswer = queriesLikePrefix = rerunUnchanged = equalsPlainPrefix = true;
    }
    outcomes.push({
      variant,
      exitCode: r.exitCode,
      leftBehind: stored === undefined && existsSync(db),
      namedInOneLine,
      warnsAltered,
      crashed: verdict.crashed,
      internalError: verdict.internalError,
      committedOffset: stored?.committedOffset ?? 0,
      instances: stored?.instances ?? 0,
      equalsPlainPrefix,
      queriesAnswer,
      queriesLikePrefix,
      rerunUnchanged,
    });
  }
  return { outcomes, tally };
}

/** What is wrong with one outcome, or undefined when it is what a user must get. */
export function problem(x: DamagedOutcome): string | undefined {
  if (x.crashed || x.internalError) return `crash or internal error (exit ${x.exitCode})`;
  // 3: partial input, what was read is stored; 1: nothing could be stored at all.
  if (!(x.exitCode === 3 || (x.exitCode === 1 && x.committedOffset === 0))) return `exit ${x.exitCode} with ${x.committedOffset} bytes stored`;
  if (!x.namedInOneLine) return 'no one-line message naming the file';
  if (x.leftBehind) return 'a run that stored nothing left a database file behind';
  if (x.variant.kind === 'corrupted' && x.exitCode === 3 && !x.warnsAltered) return 'no warning that the lines stored may be altered';
  if (!x.queriesAnswer) return 'timeline or ancestry --at failed on what was stored';
  if (!x.rerunUnchanged) return 'a re-run changed the database';
  if (x.variant.kind === 'truncated' && !x.equalsPlainPrefix) return 'the database differs from an ingest of the plain prefix';
  return undefined;
}

interface StoredState {
  committedOffset: number;
  instances: number;
  /** The last process whose start is known: pid and start (ns). */
  last: { pid: number; startNs: bigint } | undefined;
}

function storedState(db: string): StoredState | undefined {
  let h: Database.Database;
  try {
    h = new Database(db, { readonly: true, fileMustExist: true });
  } catch {
    return undefined;
  }
  try {
    h.defaultSafeIntegers(true);
    const src = h.prepare('SELECT committed_offset AS o FROM sources').get() as { o: bigint } | undefined;
    const n = (h.prepare('SELECT count(*) AS n FROM instances').get() as { n: bigint }).n;
    const last = h.prepare('SELECT pid, start_ns FROM instances WHERE start_known = 1 ORDER BY start_ns DESC, pid DESC LIMIT 1').get() as { pid: bigint; start_ns: bigint } | undefined;
    return { committedOffset: Number(src?.o ?? 0n), instances: Number(n), last: last && { pid: Number(last.pid), startNs: last.start_ns } };
  } finally {
    h.close();
  }
}

function dumpAs(db: string, path: string, as: string): Record<string, string[]> {
  const dump = canonicalDump(db);
  return Object.fromEntries(Object.entries(dump).map(([k, rows]) => [k, rows.map((r) => r.split(path).join(as))]));
}

/** timeline PID and ancestry PID --at (its start + 1 µs) on both databases: whether they answer, and alike. */
async function askBoth(
  cli: ProcTreeRunner,
  tally: RowTally,
  db: string,
  file: string,
  reference: string,
  refFile: string,
  last: StoredState['last'],
): Promise<{ answer: boolean; same: boolean }> {
  if (last === undefined) return { answer: true, same: true }; // nothing stored to ask about
  const at = `${last.startNs / 1_000_000_000n}.${String((last.startNs % 1_000_000_000n) + 1000n).padStart(9, '0')}`;
  let answer = true;
  let same = true;
  for (const args of [['timeline', String(last.pid)], ['ancestry', String(last.pid), '--at', at]]) {
    const got = await cli.run([...args, '--db', db], { captureStdout: true });
    const want = await cli.run([...args, '--db', reference], { captureStdout: true });
    tally.add(got, `${args[0]} on the damaged file's database`);
    answer &&= got.exitCode === 0 && got.stdout.includes(`${last.pid}`);
    same &&= got.stdout.split(file).join('FILE') === want.stdout.split(refFile).join('FILE');
  }
  return { answer, same };
}

/** Truncated and corrupted .gz of a real capture: one line naming the file, exit 3, the part before the damage stored and queryable. */
export async function run(o: ReliabilityCaseOptions): Promise<ReliabilityRow[]> {
  const gz = gzipSync(readFileSync(join(o.repoRoot, GZIP_SAMPLE)), { level: 9 });
  const variants = damagedVariants(gz, o.seed, o.quick ? 4 : 12, o.quick ? 3 : 12);
  const { outcomes, tally } = await tryDamagedGzip(o.repoRoot, o.workDir, variants);
  const rows: ReliabilityRow[] = [];
  for (const kind of ['truncated', 'corrupted'] as const) {
    const mine = outcomes.filter((x) => x.variant.kind === kind);
    const count = (f: (x: DamagedOutcome) => boolean): number => mine.filter(f).length;
    const exits = new Map<number, number>();
    for (const x of mine) exits.set(x.exitCode, (exits.get(x.exitCode) ?? 0) + 1);
    const bad = mine.filter((x) => problem(x) !== undefined);
    rows.push({
      category: 'compressed input',
      case:
        kind === 'truncated'
          ? `truncated .gz of a real capture (${GZIP_SAMPLE}, ${gz.length} bytes gzip -9): header only, no trailer, last byte missing, ${mine.length - 3} seeded cuts`
          : `corrupted .gz of the same capture: ${mine.length - 2} seeded byte flips in the deflate stream, CRC-32 zeroed, ISIZE zeroed`,
      inputsTried: mine.length,
      crashes: count((x) => x.crashed),
      internalErrors: count((x) => x.internalError),
      maxPeakRssMiB: tally.maxPeakRssMiB,
      dumpsIdentical: kind === 'truncated' ? count((x) => x.equalsPlainPrefix) === mine.length : undefined,
      command: 'npm run reliability -- --only damaged-gzip',
      notes:
        `ingest exit ${[...exits].sort((a, b) => a[0] - b[0]).map(([c, n]) => `${c} x${n}`).join(', ')}; ` +
        `${count((x) => x.namedInOneLine)}/${mine.length} name the file in a 'proc-tree ingest:' line; ` +
        `${count((x) => x.equalsPlainPrefix)}/${mine.length} databases equal an ingest of the plain capture cut at the stored offset` +
        `${kind === 'corrupted' ? ' (a flip decoded before zlib notices can store altered lines: CRC-32 is checked at the end)' : ''}; ` +
        `${kind === 'corrupted' ? `${count((x) => x.warnsAltered)}/${mine.length} warn that lines read before the error may be altered; ` : ''}` +
        `timeline + ancestry --at of the last stored process answer in ${count((x) => x.queriesAnswer)}/${mine.length}, like the prefix's in ${count((x) => x.queriesLikePrefix)}/${mine.length}; ` +
        `a re-run leaves the database unchanged in ${count((x) => x.rerunUnchanged)}/${mine.length}; ` +
        `stored ${Math.min(...mine.map((x) => x.committedOffset))}..${Math.max(...mine.map((x) => x.committedOffset))} of ${readFileSync(join(o.repoRoot, GZIP_SAMPLE)).length} bytes` +
        (bad.length ? `; FAILED ${bad.length}: ${bad.slice(0, 3).map((x) => `${x.variant.label}: ${problem(x)}`).join('; ')}` : '') +
        (tally.failures.length ? `; ${tally.failures.join('; ')}` : ''),
    });
  }
  return rows;
}
