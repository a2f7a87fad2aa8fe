import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openInputs, orderZipEntries } from '../../src/sources/open-inputs.js';
import { REPO_ROOT } from '../cli/cli-runner.js';

const work = mkdtempSync(join(tmpdir(), 'proc-tree-zip-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const MAIN = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
/** Real captures: host a's rotated logs (632 KB live file) and host b's one log. */
const ROTATED = join(REPO_ROOT, 'samples', 'auditd', 'busy-machine-rotation', 'logs');
const OTHER = join(REPO_ROOT, 'samples', 'auditd', 'exec-chain', 'logs', 'audit.log');

/** a/audit.log{,.1,.2} and b/audit.log zipped with `zip` (-0 stored: entries above the synchronous-read bound; -9: below it). */
function twoHostZip(level: '-0' | '-9'): string {
  const dir = mkdtempSync(join(work, 'src-'));
  mkdirSync(join(dir, 'a'));
  mkdirSync(join(dir, 'b'));
  for (const f of ['audit.log', 'audit.log.1', 'audit.log.2']) copyFileSync(join(ROTATED, f), join(dir, 'a', f));
  copyFileSync(OTHER, join(dir, 'b', 'audit.log'));
  const zip = join(dir, `logs${level}.zip`);
  execFileSync('zip', ['-q', '-r', level, zip, 'a', 'b'], { cwd: dir });
  return zip;
}

async function readAll(zip: string): Promise<[string, Buffer][]> {
  const out: [string, Buffer][] = [];
  for await (const input of openInputs(zip)) {
    const chunks: Buffer[] = [];
    for await (const c of input.chunks) chunks.push(c);
    out.push([input.name.slice(zip.length + 2), Buffer.concat(chunks)]);
  }
  return out;
}

describe('zip archives', () => {
  it('orders entries directory by directory, rotated logs oldest first, other files last', () => {
    expect(orderZipEntries(['b/audit.log', 'notes.txt', 'a/audit.log', 'a/audit.log.1', 'audit.log', 'a/audit.log.2.gz'])).toEqual([
      'audit.log',
      'a/audit.log.2.gz',
      'a/audit.log.1',
      'a/audit.log',
      'b/audit.log',
      'notes.txt',
    ]);
  });

  it.each(['-0', '-9'] as const)('reads every entry, also two of the same name in different directories, byte for byte (zip %s)', async (level) => {
    const got = await readAll(twoHostZip(level));
    expect(got.map(([name]) => name)).toEqual(['a/audit.log.2', 'a/audit.log.1', 'a/audit.log', 'b/audit.log']);
    expect(got[2]![1].equals(readFileSync(join(ROTATED, 'audit.log')))).toBe(true);
    expect(got[3]![1].equals(readFileSync(OTHER))).toBe(true);
  });

  it.each(['-0', '-9'] as const)('a damaged entry (zip %s) is kept up to the damage and named in one line, exit 3; the other entries are ingested', (level) => {
    const zip = twoHostZip(level);
    const bytes = readFileSync(zip);
    // A byte inside a/audit.log (632 KB, the largest entry: past 377 KB in the stored zip whatever the entry order).
    const at = bytes.indexOf('type=SYSCALL', level === '-0' ? 70_000 + 7_500 + 300_000 : 0) + 5;
    bytes[level === '-0' ? at : Math.floor(bytes.length * 0.6)] ^= 0x20;
    writeFileSync(zip, bytes);
    const r = spawnSync(process.execPath, [MAIN, 'ingest', '--db', join(work, `damaged${level}.db`), zip], { encoding: 'utf8' });
    expect(r.stderr).not.toMatch(/internal error|    at /);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(new RegExp(`^proc-tree ingest: partial ingest: 1 input\\(s\\) could not be read completely: ${zip.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}!/a/audit\\.log \\(`, 'm'));
    expect(r.stderr).toMatch(/a\/audit\.log \[auditd\] read: \d+ bytes[^\n]*\(cannot read [^\n]*damaged zip entry/);
    expect(r.stderr).toMatch(/b\/audit\.log \[auditd\] read: 65704 bytes, 347 lines\n/);
  });
});
