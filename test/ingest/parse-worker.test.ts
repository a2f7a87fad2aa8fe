import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIngest } from '../../src/ingest/run-ingest.js';
import { repoRoot } from '../support/truth.js';
import { canonicalDump } from './canonical-dump.js';
import { killOnceCommitted } from './kill-once-committed.js';

// The worker runs compiled code (dist/src/ingest/parse-worker.js), so these tests drive the
// real CLI, as the kill -9 test in run-ingest.test.ts does; the reference runs inline here.
const cli = join(repoRoot, 'dist', 'src', 'cli', 'main.js');
let dir: string;
let input: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'proc-tree-parse-worker-'));
  // A private copy of a real rotated capture: the sample folder may be re-recorded meanwhile.
  const logs = join(repoRoot, 'samples', 'auditd', 'busy-machine-rotation', 'logs');
  input = join(dir, 'busy');
  mkdirSync(input);
  for (const f of readdirSync(logs)) copyFileSync(join(logs, f), join(input, f));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cliIngest(db: string, extra: string[]): { child: ReturnType<typeof spawn>; done: Promise<number | null> } {
  const child = spawn(process.execPath, [cli, 'ingest', '--db', db, ...extra, input], {
    stdio: 'ignore',
    env: { ...process.env, PROC_TREE_PARSE_IN: 'worker' },
  });
  return { child, done: new Promise((resolve) => child.on('exit', (code) => resolve(code))) };
}

describe('ingest with parsing in a worker thread', () => {
  it('writes the same history as parsing inline, rotated files and small commit intervals included', async () => {
    const reference = join(dir, 'inline.db');
    await runIngest({ db: reference, inputs: [input], commitEveryLines: 300, parseIn: 'inline' });
    const db = join(dir, 'worker.db');
    expect(await cliIngest(db, ['--commit-every', '300']).done).toBe(0);
    expect(canonicalDump(db)).toEqual(canonicalDump(reference));
    const sources = (path: string) => new Database(path, { readonly: true }).prepare('SELECT path, committed_offset, committed_line, complete FROM sources ORDER BY id').all();
    expect(sources(db)).toEqual(sources(reference));
  });

  it('loses nothing when killed with SIGKILL mid-run and ends like an uninterrupted run after a re-run', async () => {
    const reference = join(dir, 'reference.db');
    await runIngest({ db: reference, inputs: [input], commitEveryLines: 300, parseIn: 'inline' });
    const db = join(dir, 'killed.db');
    const run = cliIngest(db, ['--commit-every', '300']);
    expect(await killOnceCommitted(run.child, run.done, db)).toBe(true);
    expect(await cliIngest(db, ['--commit-every', '300']).done).toBe(0);
    expect(canonicalDump(db)).toEqual(canonicalDump(reference));
  }, 120_000);

  it('moves whole 1 MiB read chunks to the worker and still writes what parsing inline writes', async () => {
    // All captures in one file of more than 1 MiB, each under its own node= host: the file's
    // read chunks after the first are moved to the worker, not copied.
    const captures = join(repoRoot, 'samples', 'auditd');
    const parts: string[] = [];
    for (const capture of readdirSync(captures).sort()) {
      const logs = join(captures, capture, 'logs');
      if (!existsSync(logs)) continue;
      for (const f of readdirSync(logs).filter((n) => /^audit\.log(\.\d+)?$/.test(n)).sort().reverse()) {
        const text = readFileSync(join(logs, f), 'latin1');
        parts.push(text.split('\n').map((l) => (l === '' || l.startsWith('node=') ? l : `node=${capture} ${l}`)).join('\n'));
      }
    }
    const all = join(dir, 'all-captures.log');
    writeFileSync(all, parts.join(''), 'latin1');
    const size = statSync(all).size;
    expect(size).toBeGreaterThan(2 * (1 << 20) - 100_000);
    const reference = join(dir, 'all-inline.db');
    await runIngest({ db: reference, inputs: [all], parseIn: 'inline' });
    const db = join(dir, 'all-worker.db');
    const child = spawnSync(process.execPath, [cli, 'ingest', '--db', db, all], { encoding: 'utf8', env: { ...process.env, PROC_TREE_PARSE_IN: 'worker' } });
    expect(child.status).toBe(0);
    // Counted before the chunk moved (a moved buffer reads as empty afterwards).
    expect(child.stdout + child.stderr).toContain(`read: ${size} bytes`);
    expect(canonicalDump(db)).toEqual(canonicalDump(reference));
    const sources = (path: string) => new Database(path, { readonly: true }).prepare('SELECT path, committed_offset, committed_line, complete FROM sources ORDER BY id').all();
    expect(sources(db)).toEqual(sources(reference));
  }, 120_000);
});
