import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { listAuditdCaptures } from '../support/truth.js';
import { cliInProcess as cli, cliWithStdin } from './cli-in-process.js';

/**
 * `ingest --help` names every case that exits 3. The review: its paragraph on exit 3 said
 * only "some input could not be read", and a responder refused for an edited copy or a
 * repeat could not find that status there. Each case is produced here with the rotation
 * capture (samples/auditd/rotation) and its reason looked up in the help's exit-3 paragraph.
 */
const dir = mkdtempSync(join(tmpdir(), 'proc-tree-ingest-help-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const capture = listAuditdCaptures().find((c) => c.meta.name === 'rotation')!;
const gen = (n: number): string => join(capture.logDir, n === 0 ? 'audit.log' : `audit.log.${n}`);
const joined = (): Buffer => Buffer.concat([gen(2), gen(1), gen(0)].map((p) => readFileSync(p)));

/** The help's text about exit 3, on one line. */
async function exit3Paragraph(): Promise<string> {
  const help = (await cli('ingest', '--help')).out.replace(/\s*\n\s*/g, ' ');
  const m = /; 3 (.*?); 74 /.exec(help);
  expect(m).not.toBeNull();
  return m![1]!;
}

/** The last line of stderr, without the program's prefix. */
const reason = (err: string): string => err.trimEnd().split('\n').at(-1)!.replace(/^proc-tree ingest: /, '');

describe('ingest --help on exit 3', () => {
  const cases: [string, () => Promise<{ code: number; err: string }>, RegExp, string][] = [
    ['a concatenation of logs ingested before', async () => {
      const db = join(dir, 'cat.db');
      await cli('ingest', '--db', db, capture.logDir);
      const all = join(dir, 'all.log');
      writeFileSync(all, joined());
      return cli('ingest', '--db', db, all);
    }, /repeats records already ingested from /, 'repeats records already ingested'],
    ['a log ingested before as part of a concatenation piped to stdin', async () => {
      const db = join(dir, 'stdin.db');
      const all = join(dir, 'piped.log');
      writeFileSync(all, joined());
      await cliWithStdin(createReadStream(all), 'ingest', '--db', db, '-');
      return cli('ingest', '--db', db, gen(2));
    }, /repeats records already ingested from stdin/, 'piped to -'],
    ['an edited copy (4 lines removed, the next log appended)', async () => {
      const db = join(dir, 'edited.db');
      await cli('ingest', '--db', db, gen(2));
      const lines = readFileSync(gen(2), 'latin1').split(/(?<=\n)/);
      const edited = join(dir, 'edited.log');
      writeFileSync(edited, [...lines.slice(0, 29), ...lines.slice(33)].join('') + readFileSync(gen(1), 'latin1'), 'latin1');
      return cli('ingest', '--db', db, edited);
    }, /starts like .* but does not continue it/, 'does not continue it'],
    ['a damaged .gz beside a good log', async () => {
      const gz = gzipSync(readFileSync(gen(1)));
      const cut = join(dir, 'cut.log.gz');
      writeFileSync(cut, gz.subarray(0, gz.length >> 1));
      return cli('ingest', '--db', join(dir, 'gz.db'), gen(2), cut);
    }, /^partial ingest: 1 input\(s\) could not be read completely/, 'damaged .gz'],
  ];
  for (const [what, run, said, inHelp] of cases) {
    it(`${what}: exit 3, and the help's exit-3 paragraph names it`, async () => {
      const r = await run();
      expect(r.code).toBe(3);
      expect(reason(r.err)).toMatch(said);
      expect(await exit3Paragraph()).toContain(inHelp);
    });
  }
});
