import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT_INCOMPLETE } from '../../src/cli/user-error.js';
import { execAsNobody, installForNobody } from '../support/nobody-install.js';
import { cliInProcess } from './cli-in-process.js';
import { REPO_ROOT } from './cli-runner.js';

// Two real captures of samples/ as ordinary inputs: nothing outside the checkout (a clone
// anywhere, e.g. a 0700 mktemp dir, has no ../shared/corpus beside it).
const TRACE = join(REPO_ROOT, 'samples', 'auditd', 'exec-chain', 'logs', 'audit.log');
const OTHER_TRACE = join(REPO_ROOT, 'samples', 'auditd', 'shell-pipeline-raw', 'logs', 'audit.log');
const work = mkdtempSync(join(tmpdir(), 'proc-tree-ingest-cli-'));
chmodSync(work, 0o755); // user nobody (below) must reach the cases
// Nobody runs a copy of the build: the checkout may be in a 0700 directory they cannot enter.
const nobodyInstall = installForNobody();
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  nobodyInstall.remove();
});
let n = 0;
const fresh = (): string => {
  const dir = join(work, `case${++n}`);
  mkdirSync(dir);
  chmodSync(dir, 0o755);
  return dir;
};

/** The built CLI as user nobody (root reads every file: only another user meets a permission error). */
function asNobody(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return execAsNobody([nobodyInstall.main, ...args], { cwd: work });
}

describe('proc-tree ingest: exit status and messages on bad or odd input', () => {
  it('exits EXIT_INCOMPLETE (3), not 0, when a .gz is damaged in the middle, keeping what came before and what follows', async () => {
    const dir = fresh();
    const logs = join(dir, 'logs');
    mkdirSync(logs);
    const gz = gzipSync(readFileSync(OTHER_TRACE));
    writeFileSync(join(logs, 'audit.log.1.gz'), gz.subarray(0, Math.floor(gz.length / 2)));
    copyFileSync(TRACE, join(logs, 'audit.log'));
    const r = await cliInProcess('ingest', '--db', join(dir, 'h.db'), '--json', logs);
    expect(r.code).toBe(EXIT_INCOMPLETE);
    const line = /audit\.log\.1\.gz \[auditd\] read: (\d+) bytes, [1-9]\d* lines \(cannot read .*unexpected end of file.*; decompressed bytes read: up to byte (\d+); stored: up to byte ([1-9]\d*), the end of the last complete record/.exec(r.err);
    expect(line).not.toBeNull();
    // Each count says what it counts: all decoded bytes were read; fewer are stored.
    expect(line![2]).toBe(line![1]);
    expect(Number(line![3])).toBeLessThanOrEqual(Number(line![2]));
    expect(r.err).toMatch(/partial ingest: 1 input\(s\) could not be read completely: .*audit\.log\.1\.gz/);
    const summary = JSON.parse(r.out) as { inputs: { unread?: string; lines: number }[] };
    expect(summary.inputs[0]!.unread).toMatch(/unexpected end of file/);
    expect(summary.inputs[1]!.lines).toBeGreaterThan(0);
    // A re-run reads the damaged part again and says so again: never a silent success.
    expect((await cliInProcess('ingest', '--db', join(dir, 'h.db'), logs)).code).toBe(EXIT_INCOMPLETE);
  });

  it('reports an unreadable file of a rotated-log directory, ingests the rest, and exits 3', async () => {
    const dir = fresh();
    chmodSync(dir, 0o777); // nobody writes the database here
    const logs = join(dir, 'logs');
    mkdirSync(logs);
    chmodSync(logs, 0o755);
    copyFileSync(OTHER_TRACE, join(logs, 'audit.log.1'));
    copyFileSync(TRACE, join(logs, 'audit.log'));
    chmodSync(join(logs, 'audit.log.1'), 0o600);
    chmodSync(join(logs, 'audit.log'), 0o644);
    const r = await asNobody(['ingest', '--db', join(dir, 'h.db'), logs]);
    expect(r.code).toBe(EXIT_INCOMPLETE);
    expect(r.stderr).toMatch(/audit\.log\.1 \[auditd\] skipped: .*permission denied/);
    expect(r.stderr).toMatch(/\/audit\.log \[auditd\] read: \d+ bytes, [1-9]/);
    expect(r.stderr).toMatch(/partial ingest: 1 input\(s\) could not be read completely/);
  });

  it('tells the user to name a file when --db is a directory, and what is wrong with a missing or unwritable directory', async () => {
    const dir = fresh();
    const asDir = await cliInProcess('ingest', '--db', dir, TRACE);
    expect(asDir.code).toBe(1);
    expect(asDir.err).toContain(`--db must be a file path; ${dir} is a directory: use ${join(dir, 'proc-tree.db')}`);
    const missing = await cliInProcess('ingest', '--db', join(dir, 'nope', 'h.db'), TRACE);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/there is no directory .*nope \(create it first: mkdir -p /);
    const locked = join(dir, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o755); // root's: nobody cannot create files in it
    const unwritable = await asNobody(['ingest', '--db', join(locked, 'h.db'), TRACE]);
    expect(unwritable.code).toBe(1);
    expect(unwritable.stderr).toMatch(/cannot create .*locked\/h\.db: no write permission on .*locked/);
    expect(unwritable.stderr).not.toMatch(/unable to open database file/);
  });

  it('says an empty file or a text file held 0 records and exits 1 (nothing ingested), also when run again', async () => {
    const dir = fresh();
    const db = join(dir, 'h.db');
    const empty = join(dir, 'empty.log');
    writeFileSync(empty, '');
    const e = await cliInProcess('ingest', '--db', db, empty);
    expect(e.code).toBe(1);
    expect(e.err).toMatch(/empty\.log \[auditd\] read: 0 bytes, 0 lines \(empty: 0 records\)/);
    expect(e.err).toMatch(/nothing ingested: no input held an audit record/);
    const text = join(dir, 'notes.txt');
    copyFileSync(join(REPO_ROOT, 'package.json'), text);
    for (let run = 0; run < 2; run++) {
      const t = await cliInProcess('ingest', '--db', db, text);
      expect(t.code).toBe(1);
      expect(t.err).toMatch(/notes\.txt \[auditd\] read: \d+ bytes, \d+ lines \(0 audit records in \d+ bytes: not an audit log\?\)/);
    }
  });

  it('only notes an empty audit.log beside rotated generations (normal after a rotation) and exits 0', async () => {
    const dir = fresh();
    const logs = join(dir, 'logs');
    mkdirSync(logs);
    copyFileSync(TRACE, join(logs, 'audit.log.1'));
    writeFileSync(join(logs, 'audit.log'), '');
    const r = await cliInProcess('ingest', '--db', join(dir, 'h.db'), logs);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/\/audit\.log \[auditd\] read: 0 bytes, 0 lines \(empty \(normal for a freshly rotated log\)\)/);
    expect(r.err).not.toMatch(/nothing ingested|partial/);
  });

  it('--no-loss-detection keeps the serial gaps of a filtered log (ausearch -c bash) from being stored as losses', async () => {
    const dir = fresh();
    // Like `ausearch -c bash --raw`: every record of the events whose SYSCALL has comm="bash".
    const lines = readFileSync(join(REPO_ROOT, 'samples', 'auditd', 'busy-machine-rotation', 'logs', 'audit.log.2'), 'latin1').split('\n');
    const idOf = (l: string): string | undefined => /msg=audit\(([\d.]+:\d+)\)/.exec(l)?.[1];
    const bash = new Set(lines.filter((l) => l.includes('type=SYSCALL') && l.includes('comm="bash"')).map(idOf));
    const filtered = join(dir, 'bash-only.log');
    writeFileSync(filtered, lines.filter((l) => bash.has(idOf(l))).join('\n') + '\n', 'latin1');
    type Summary = { events: Record<string, number>; builder: { losses: number }; skipped: Record<string, number> };
    const plain = await cliInProcess('ingest', '--db', join(dir, 'a.db'), '--json', filtered);
    expect(plain.code).toBe(0);
    const withGaps = JSON.parse(plain.out) as Summary;
    expect(withGaps.events.loss).toBeGreaterThan(0); // the gaps are what ausearch left out
    const flagged = await cliInProcess('ingest', '--db', join(dir, 'b.db'), '--json', '--no-loss-detection', filtered);
    expect(flagged.code).toBe(0);
    const noGaps = JSON.parse(flagged.out) as Summary;
    expect(noGaps.events.loss).toBeUndefined();
    expect(noGaps.builder.losses).toBe(0);
    expect(noGaps.skipped['serial-reset']).toBeUndefined();
    expect(noGaps.events.exec).toBe(withGaps.events.exec);
    expect((await cliInProcess('ingest', '--help')).out).toMatch(/--no-loss-detection/);
  });
});

describe('proc-tree ingest: a history that is write-protected evidence', () => {
  it('leaves a self-contained file that user nobody can query read-only (chmod 444) in a directory they cannot write', async () => {
    const dir = fresh();
    const db = join(dir, 'pid-reuse.db');
    const log = join(REPO_ROOT, 'samples', 'auditd', 'pid-reuse', 'logs', 'audit.log');
    expect((await cliInProcess('ingest', '--db', db, log)).code).toBe(0);
    // Rollback-journal mode in the header (bytes 18-19 are 2 in WAL mode), nothing beside it.
    expect([...readFileSync(db).subarray(18, 20)]).toEqual([1, 1]);
    expect(readdirSync(dir)).toEqual(['pid-reuse.db']);
    chmodSync(db, 0o444);
    chmodSync(dir, 0o555);
    const ancestry = await asNobody(['ancestry', '1298', '--at', '1795589388.9', '--db', db]);
    chmodSync(dir, 0o755);
    expect(ancestry.stderr).not.toMatch(/not a SQLite database|readonly/);
    expect(ancestry.code).toBe(0);
    expect(ancestry.stdout).toMatch(/^1298\s+1297\s/m);
  });
});

describe('proc-tree ingest: summary of what the log could not say plainly', () => {
  it('names processes that fork inside a pid namespace, on the real pid-namespace capture', async () => {
    const dir = fresh();
    const r = await cliInProcess('ingest', '--db', join(dir, 'h.db'), join(REPO_ROOT, 'samples', 'auditd', 'pid-namespace', 'logs'));
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/pid namespaces: [1-9]\d* process\(es\) forking inside one .*, [1-9]\d* children matched to their fork/);
  });

  it('says nothing about pid namespaces when no process forks inside one', async () => {
    const r = await cliInProcess('ingest', '--db', join(fresh(), 'h.db'), TRACE);
    expect(r.code).toBe(0);
    expect(r.err).not.toMatch(/pid namespaces/);
  });
});
