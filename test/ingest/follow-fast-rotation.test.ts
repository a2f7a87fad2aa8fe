import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { ProcTreeCli } from '../../bench/harness/proc-tree-cli.js';
import { comparableDump, committedSources, FollowProcess } from '../../bench/reliability/follow-process.js';
import { REPO_ROOT, runCli } from '../cli/cli-runner.js';

/** Three real generations written by auditd's own rotation (samples/auditd/rotation/capture.json), oldest first. */
const SAMPLE = join(REPO_ROOT, 'samples', 'auditd', 'rotation', 'logs');
const [A, B, C] = ['audit.log.2', 'audit.log.1', 'audit.log'].map((f) => readFileSync(join(SAMPLE, f)));
const cli = new ProcTreeCli(REPO_ROOT);

const work = mkdtempSync(join(tmpdir(), 'proc-tree-follow-fast-rotation-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** auditd's rotation: audit.log.N -> N+1, audit.log -> audit.log.1, a new audit.log. */
function rotate(dir: string, next: Buffer): void {
  for (let k = 8; k >= 1; k--) {
    try {
      renameSync(join(dir, `audit.log.${k}`), join(dir, `audit.log.${k + 1}`));
    } catch {
      // not there
    }
  }
  renameSync(join(dir, 'audit.log'), join(dir, 'audit.log.1'));
  writeFileSync(join(dir, 'audit.log'), next);
}

describe('ingest --follow while auditd rotates faster than it polls', () => {
  it('reads a generation that was created, filled and rotated away between two polls', async () => {
    const dir = join(work, 'twice');
    mkdirSync(dir);
    const log = join(dir, 'audit.log');
    const db = join(dir, 'follow.db');
    writeFileSync(log, A!.subarray(0, A!.indexOf('\n', A!.length >> 1) + 1));
    const follow = new FollowProcess(cli, db, log, work);
    while (committedSources(db) === 0 && Date.now() - follow.startedAt < 20_000) await sleep(10);
    await sleep(400);
    appendFileSync(log, A!.subarray(A!.indexOf('\n', A!.length >> 1) + 1));
    // Two rotations back to back (microseconds apart; the follow looks every 250 ms): B is
    // never the live file when the follow looks.
    rotate(dir, B!);
    rotate(dir, C!);
    await sleep(2500);
    const stop = await follow.interrupt();
    expect(stop.exitCode).toBe(0);
    expect(stop.stderrTail).toMatch(/\/audit\.log \[auditd\] read[^\n]*\n[^\n]*\/audit\.log\.1 \[auditd\] read: 9318 bytes[^\n]*\n[^\n]*\/audit\.log \[auditd\] read: 15360 bytes/);
    const plain = join(dir, 'plain');
    mkdirSync(plain);
    ['audit.log.2', 'audit.log.1', 'audit.log'].forEach((f) => copyFileSync(join(SAMPLE, f), join(plain, f)));
    const reference = join(dir, 'plain.db');
    expect((await runCli(['ingest', '--db', reference, plain])).code).toBe(0);
    expect(comparableDump(db)).toEqual(comparableDump(reference));
  }, 40_000);
});
