import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.js';
import { cliInProcess as cli } from './cli-in-process.js';

/**
 * The review: under `watch`, a process started after watch began showed user `?`, and
 * processes of the /proc seed `uid:0`, though on the live host /etc/passwd names them (as
 * `ancestry PID` on /proc does). Real netlink, a real child: both it and this test's own
 * process (seeded) carry this user's name.
 */
const dir = mkdtempSync(join(tmpdir(), 'proc-tree-watch-users-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const quiet = () => ({ stdout: new PassThrough(), stderr: new PassThrough(), stdin: new PassThrough() });

describe('watch names users from this host', () => {
  it('a process started while watching and one seeded from /proc show the passwd name', async () => {
    const me = userInfo().username;
    const db = join(dir, 'w.db');
    const running = runCli(['watch', '--db', db, '--duration', '1.5'], quiet());
    await new Promise((r) => setTimeout(r, 500));
    const child = spawn('/bin/sleep', ['0.3']);
    const startedAt = Date.now() / 1000;
    await once(child, 'exit');
    expect(await running).toBe(0);
    const json = JSON.parse((await cli('ancestry', String(child.pid), '--at', String(startedAt + 0.1), '--db', db, '--json')).out);
    const [self, parent] = json.chain as { pid: number; user: string | null; uid: number | null; startKnown: boolean }[];
    expect(self).toMatchObject({ pid: child.pid, startKnown: true, uid: process.getuid!(), user: me });
    expect(parent).toMatchObject({ pid: process.pid, uid: process.getuid!(), user: me });
    const text = (await cli('ancestry', String(child.pid), '--at', String(startedAt + 0.1), '--db', db)).out;
    const rows = text.split('\n').filter((l) => /^\d+\s/.test(l)).slice(0, 2);
    for (const row of rows) expect(row.split(/\s+/)[2]).toBe(me);
  });
});
