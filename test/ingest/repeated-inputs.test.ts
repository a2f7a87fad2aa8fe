import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT_INCOMPLETE } from '../../src/cli/user-error.js';
import { Readable } from 'node:stream';
import { cliInProcess, cliWithStdin } from '../cli/cli-in-process.js';
import { REPO_ROOT } from '../cli/cli-runner.js';

// The rotation capture (three generations of one real log) and inputs made from it the way
// a responder's evidence folder holds them: a concatenation, an edited copy, an extract.
const LOGS = join(REPO_ROOT, 'samples', 'auditd', 'rotation', 'logs');
const gen = (n: 0 | 1 | 2): string => join(LOGS, n === 0 ? 'audit.log' : `audit.log.${n}`);
const linesOf = (path: string): string[] => readFileSync(path, 'latin1').split(/(?<=\n)/);
const work = mkdtempSync(join(tmpdir(), 'proc-tree-repeated-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => {
  const dir = join(work, `case${++n}`);
  mkdirSync(dir);
  return dir;
};

interface Stored {
  instances: number;
  /** Evidence rows citing a line past the end of their source file (or a line that is not that record). */
  badEvidence: string[];
}

/** What the history holds, and whether every piece of evidence is a real line of its file holding its record. */
function stored(db: string): Stored {
  const h = new Database(db, { readonly: true });
  try {
    const paths = new Map((h.prepare('SELECT id, path FROM sources').all() as { id: number; path: string }[]).map((r) => [r.id, r.path]));
    const rows = h
      .prepare(
        `SELECT start_src AS src, start_line AS line, start_rec AS rec FROM instances WHERE start_rec IS NOT NULL
         UNION ALL SELECT end_src, end_line, end_rec FROM instances WHERE end_rec IS NOT NULL
         UNION ALL SELECT src, line, rec FROM parents WHERE rec IS NOT NULL
         UNION ALL SELECT src, line, rec FROM images WHERE rec IS NOT NULL`,
      )
      .all() as { src: number; line: number; rec: string }[];
    const files = new Map<number, string[]>();
    const badEvidence: string[] = [];
    for (const r of rows) {
      if (paths.get(r.src) === '-') continue; // stdin: nothing to read again
      if (!files.has(r.src)) files.set(r.src, linesOf(resolve(paths.get(r.src)!)));
      const text = files.get(r.src)![r.line - 1];
      if (text === undefined || !text.includes(`audit(${r.rec})`)) badEvidence.push(`${paths.get(r.src)}:${r.line} ${r.rec}`);
    }
    return { instances: (h.prepare('SELECT count(*) AS c FROM instances').get() as { c: number }).c, badEvidence };
  } finally {
    h.close();
  }
}

const ingest = (db: string, ...inputs: string[]) => cliInProcess('ingest', '--db', db, ...inputs);
/** The one-line message at the end of stderr. */
const lastLine = (err: string): string => err.trimEnd().split('\n').at(-1)!;

describe('ingest refuses an input that repeats or does not continue what was ingested', () => {
  it('a concatenation of the rotated logs, after the logs themselves: refused in one line naming both, exit 3, nothing stored twice', async () => {
    const dir = fresh();
    const all = join(dir, 'all.log');
    writeFileSync(all, Buffer.concat([gen(2), gen(1), gen(0)].map((p) => readFileSync(p))));
    const db = join(dir, 'h.db');
    expect((await ingest(db, LOGS)).code).toBe(0);
    const before = stored(db);
    const r = await ingest(db, all);
    expect(r.code).toBe(EXIT_INCOMPLETE);
    expect(lastLine(r.err)).toMatch(new RegExp(`^proc-tree ingest: ${all} repeats records already ingested from ${gen(1)} \\(audit ids \\d+\\.\\d{3}:\\d+\\.\\.\\d+\\.\\d{3}:\\d+\\): not ingested \\(`));
    const after = stored(db);
    expect(after.instances).toBe(before.instances);
    expect(after.badEvidence).toEqual([]);
    // The logs themselves are still "already ingested", and the refusal is said again.
    const again = await ingest(db, LOGS);
    expect(again.code).toBe(0);
    expect(again.err.match(/already-ingested/g)).toHaveLength(3);
    expect((await ingest(db, all)).code).toBe(EXIT_INCOMPLETE);
  });

  it('the same in one run (a folder holding the logs and their concatenation): the logs ingested, the concatenation refused', async () => {
    const dir = fresh();
    const logs = join(dir, 'logs');
    mkdirSync(logs);
    for (const g of [0, 1, 2] as const) copyFileSync(gen(g), join(logs, g === 0 ? 'audit.log' : `audit.log.${g}`));
    writeFileSync(join(logs, 'combined.log'), Buffer.concat([gen(2), gen(1), gen(0)].map((p) => readFileSync(p))));
    const alone = join(dir, 'alone.db');
    expect((await ingest(alone, LOGS)).code).toBe(0);
    const db = join(dir, 'h.db');
    const r = await ingest(db, logs);
    expect(r.code).toBe(EXIT_INCOMPLETE);
    expect(lastLine(r.err)).toMatch(/combined\.log repeats records already ingested from .*audit\.log\.1 /);
    expect(stored(db)).toEqual({ ...stored(alone), badEvidence: [] });
  });

  it('an edited copy (4 lines removed, the next log appended): refused, naming both files, its fork of pid 3242 not lost', async () => {
    const dir = fresh();
    const lines = linesOf(gen(2));
    const edited = join(dir, 'edited.log');
    writeFileSync(edited, [...lines.slice(0, 29), ...lines.slice(33)].join('') + readFileSync(gen(1), 'latin1'), 'latin1');
    const db = join(dir, 'h.db');
    expect((await ingest(db, gen(2))).code).toBe(0);
    const before = stored(db);
    const r = await ingest(db, edited);
    expect(r.code).toBe(EXIT_INCOMPLETE);
    expect(lastLine(r.err)).toMatch(new RegExp(`^proc-tree ingest: ${edited} starts like ${gen(2)} \\(the same first 4096 bytes\\) but does not continue it: .*not ingested`));
    expect(r.err).not.toMatch(/malformed-line/);
    expect(stored(db)).toEqual(before);
    const a = await cliInProcess('ancestry', '3242', '--db', db);
    expect(a.out).not.toMatch(/start unknown/);
  });

  it('the edited copy compressed (.gz): refused, as the plain copy is; the log itself compressed still adds nothing and exits 0', async () => {
    const dir = fresh();
    const lines = linesOf(gen(2));
    const edited = join(dir, 'edited.log.gz');
    writeFileSync(edited, gzipSync(Buffer.from([...lines.slice(0, 29), ...lines.slice(33)].join('') + readFileSync(gen(1), 'latin1'), 'latin1')));
    const db = join(dir, 'h.db');
    expect((await ingest(db, gen(2))).code).toBe(0);
    const before = stored(db);
    const r = await ingest(db, edited);
    expect(r.code).toBe(EXIT_INCOMPLETE);
    expect(lastLine(r.err)).toMatch(/edited\.log\.gz starts like .*audit\.log\.2 .*does not continue it: byte 14991 \(decompressed\), where it would resume, is not at the start of a record/);
    expect(stored(db)).toEqual(before);
    const same = join(dir, 'audit.log.2.gz');
    writeFileSync(same, gzipSync(readFileSync(gen(2))));
    const g = await ingest(db, same);
    expect(g.code).toBe(0);
    expect(stored(db)).toEqual(before);
  });

  it('stdin: a resumed stream that does not start a record there, or repeats another source, is refused; one that goes on is read', async () => {
    const dir = fresh();
    const lines = linesOf(gen(2));
    const stdin = (text: string, db: string) => cliWithStdin(Readable.from([Buffer.from(text, 'latin1')]), 'ingest', '--db', db, '-');
    const db = join(dir, 'h.db');
    expect((await stdin(readFileSync(gen(2), 'latin1'), db)).code).toBe(0);
    const before = stored(db);
    const edited = await stdin([...lines.slice(0, 29), ...lines.slice(33)].join('') + readFileSync(gen(1), 'latin1'), db);
    expect(edited.code).toBe(EXIT_INCOMPLETE);
    expect(lastLine(edited.err)).toMatch(/^proc-tree ingest: - starts like - .*does not continue it: byte 14991 \(decompressed\), where it would resume, is not at the start of a record/);
    expect(stored(db)).toEqual(before);
    // audit.log.2 then audit.log.1 on stdin: the same log, appended: read.
    const appended = await stdin(readFileSync(gen(2), 'latin1') + readFileSync(gen(1), 'latin1'), db);
    expect(appended.code).toBe(0);
    expect(appended.err).toMatch(/resumed from byte 14991/);
    // audit.log ingested by path, then the three logs on stdin: the part after audit.log.1 repeats it.
    expect((await ingest(db, gen(0))).code).toBe(0);
    const all = await stdin([gen(2), gen(1), gen(0)].map((p) => readFileSync(p, 'latin1')).join(''), db);
    expect(all.code).toBe(EXIT_INCOMPLETE);
    expect(lastLine(all.err)).toContain(`- repeats records already ingested from ${gen(0)} `);
  });

  it('an edited copy that still has a line start at the resume point: refused by the record stored last not being where it was', async () => {
    const dir = fresh();
    const lines = linesOf(gen(2));
    // Lines 30-33 moved to the end: same length, byte 14990 is a newline, later lines shifted.
    const edited = join(dir, 'moved.log');
    writeFileSync(edited, [...lines.slice(0, 29), ...lines.slice(33), ...lines.slice(29, 33)].join('') + readFileSync(gen(1), 'latin1'), 'latin1');
    const db = join(dir, 'h.db');
    expect((await ingest(db, gen(2))).code).toBe(0);
    const before = stored(db);
    const r = await ingest(db, edited);
    expect(r.code).toBe(EXIT_INCOMPLETE);
    expect(lastLine(r.err)).toMatch(/does not continue it: the record audit\(\d+\.\d{3}:\d+\) stored from byte \d+ is not at byte \d+ of this file/);
    expect(stored(db)).toEqual(before);
  });

  it('an edited copy of the same size (4 lines moved to the end): refused, not "already ingested"', async () => {
    const dir = fresh();
    const lines = linesOf(gen(2));
    const edited = join(dir, 'same-size.log');
    writeFileSync(edited, [...lines.slice(0, 29), ...lines.slice(33), ...lines.slice(29, 33)].join(''), 'latin1');
    const db = join(dir, 'h.db');
    expect((await ingest(db, gen(2))).code).toBe(0);
    const r = await ingest(db, edited);
    expect(r.code).toBe(EXIT_INCOMPLETE);
    expect(r.err).not.toMatch(/already-ingested/);
    expect(lastLine(r.err)).toMatch(/same-size\.log starts like .*audit\.log\.2 .*does not continue it: the record audit\(/);
    // The log itself, and a copy of it under another name, are still "already ingested".
    const copy = join(dir, 'copy.log');
    copyFileSync(gen(2), copy);
    const again = await ingest(db, gen(2), copy);
    expect(again.code).toBe(0);
    expect(again.err.match(/already-ingested/g)).toHaveLength(2);
  });

  it('an extract (every SYSCALL record of a log), then the full log, and the other way round: the second refused, not skipped in silence', async () => {
    const dir = fresh();
    const extract = join(dir, 'extract.log');
    writeFileSync(extract, linesOf(gen(1)).filter((l) => l.startsWith('type=SYSCALL')).join(''), 'latin1');
    for (const [first, second] of [
      [extract, gen(1)],
      [gen(1), extract],
    ]) {
      const db = join(dir, `h${first === extract ? 1 : 2}.db`);
      expect((await ingest(db, '--no-loss-detection', first!)).code).toBe(0);
      const r = await ingest(db, '--no-loss-detection', second!);
      expect(r.code).toBe(EXIT_INCOMPLETE);
      expect(lastLine(r.err)).toContain(`${second} repeats records already ingested from ${first} (audit ids `);
    }
  });

  it('a zip of logs ingested before is the same logs (either order: exit 0, nothing added); a zip of their concatenation is refused', async () => {
    const dir = fresh();
    const zip = join(dir, 'logs.zip');
    execFileSync('zip', ['-q', '-j', zip, gen(2), gen(1), gen(0)]);
    const db = join(dir, 'h.db');
    expect((await ingest(db, LOGS)).code).toBe(0);
    const before = stored(db);
    const again = await ingest(db, zip);
    expect(again.code).toBe(0);
    expect(again.err).not.toMatch(/repeats|does not continue|refused/);
    expect(stored(db)).toEqual(before);

    const zipFirst = join(dir, 'zip-first.db');
    expect((await ingest(zipFirst, zip)).code).toBe(0);
    const logsAfter = await ingest(zipFirst, LOGS);
    expect(logsAfter.code).toBe(0);
    expect(logsAfter.err).not.toMatch(/repeats|does not continue|refused/);
    const instances = new Database(zipFirst, { readonly: true });
    expect((instances.prepare('SELECT count(*) AS n FROM instances').get() as { n: number }).n).toBe(before.instances);
    instances.close();

    const cat = join(dir, 'cat.log');
    writeFileSync(cat, Buffer.concat([readFileSync(gen(2)), readFileSync(gen(1))]));
    const catZip = join(dir, 'cat.zip');
    execFileSync('zip', ['-q', '-j', catZip, cat]);
    const r = await ingest(db, catZip);
    expect(r.code).toBe(EXIT_INCOMPLETE);
    expect(r.err).toMatch(/cat\.zip!\/cat\.log (repeats records already ingested from|starts like) .*audit\.log\.[12] /);
    expect(stored(db).instances).toBe(before.instances);
  });

  it('a log cut by rotation inside an event (its records in two files, as auditd rotates): both files read, same history as the whole log', async () => {
    const dir = fresh();
    const lines = linesOf(gen(2));
    const idOf = (l: string): string | undefined => /audit\(([\d.:]+)\)/.exec(l)?.[1];
    // The middle-most cut between two records of one event.
    let cut = -1;
    for (let i = 1; i < lines.length; i++) if (idOf(lines[i]!) === idOf(lines[i - 1]!) && Math.abs(i - lines.length / 2) < Math.abs(cut - lines.length / 2)) cut = i;
    expect(cut).toBeGreaterThan(0);
    const logs = join(dir, 'logs');
    mkdirSync(logs);
    writeFileSync(join(logs, 'audit.log.1'), lines.slice(0, cut).join(''), 'latin1');
    writeFileSync(join(logs, 'audit.log'), lines.slice(cut).join(''), 'latin1');
    const whole = join(dir, 'whole.db');
    expect((await ingest(whole, gen(2))).code).toBe(0);
    const db = join(dir, 'h.db');
    const r = await ingest(db, logs);
    expect(r.err).not.toMatch(/repeats records/);
    expect(r.code).toBe(0);
    expect(stored(db).instances).toBe(stored(whole).instances);
    // Just after the rotation, the live file holds only the rest of the split event: read too.
    const early = join(dir, 'early');
    mkdirSync(early);
    writeFileSync(join(early, 'audit.log.1'), lines.slice(0, cut).join(''), 'latin1');
    const rest = lines.slice(cut).findIndex((l) => idOf(l) !== idOf(lines[cut]!));
    writeFileSync(join(early, 'audit.log'), lines.slice(cut, cut + rest).join(''), 'latin1');
    const e = await ingest(join(dir, 'early.db'), early);
    expect(e.err).not.toMatch(/repeats records/);
    expect(e.code).toBe(0);
  });
});
