import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REPO_ROOT, runCli } from './cli-runner.js';

/**
 * The same scenario recorded twice: exec-chain without node= (the unnamed host '') and
 * exec-chain-enriched-node with node=. The review: find's HOST column said `(default)` for the
 * unnamed host, which --host refused ('' was the working spelling). A HOST cell pasted into a
 * shell after --host must select exactly that host's rows.
 */
const LOGS = ['exec-chain', 'exec-chain-enriched-node'].map((c) => join(REPO_ROOT, 'samples', 'auditd', c, 'logs'));
const MAIN = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');

let dir: string;
let db: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'proc-tree-host-label-'));
  db = join(dir, 'two.db');
  expect((await runCli(['ingest', '--db', db, ...LOGS])).code).toBe(0);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** `proc-tree ARGS` typed into sh: HOST cells are pasted unquoted, as a user would. */
function sh(line: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile('sh', ['-c', `"${process.execPath}" "${MAIN}" ${line}`], (error, stdout, stderr) =>
      done({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr }),
    );
  });
}

describe('the unnamed host is written the same way in find output and in --host', () => {
  test("every HOST cell of find, pasted after --host in a shell, selects that host's rows", async () => {
    const all = await runCli(['find', '--db', db, '--cmd', 'sleep 0.2']);
    expect(all.code).toBe(0);
    const rows = all.stdout.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^HOST\s+PID/);
    const cells = rows.slice(1).map((r) => r.split(/\s+/)[0]!);
    const hosts = [...new Set(cells)];
    expect(hosts).toHaveLength(2);
    for (const cell of hosts) {
      const one = await sh(`find --db "${db}" --cmd 'sleep 0.2' --host ${cell}`);
      expect(one.stderr).toBe('');
      expect(one.code).toBe(0);
      // That host's rows only (still with their HOST column: the history holds two): as many rows as the cell had.
      expect(one.stdout.trimEnd().split('\n').length - 1).toBe(cells.filter((c) => c === cell).length);
    }
  });

  test("a label for the unnamed host that --host does not take points to --host ''", async () => {
    const r = await runCli(['find', '--db', db, '--cmd', 'sleep', '--host', '(default)']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe("proc-tree find: host '(default)' is not in the history: the host of logs without node= is written --host '' (an empty name)\n");
  });
});
