import { copyFileSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { ProcTreeCli } from '../../bench/harness/proc-tree-cli.js';
import { QUICK } from '../../bench/reliability/cases/follow-kill-resume.js';
import { countKills, followKillResume } from '../../bench/reliability/follow-kill-resume.js';
import { comparableDump, committedInstances, committedSources, FollowProcess } from '../../bench/reliability/follow-process.js';
import { REPO_ROOT, runCli } from '../cli/cli-runner.js';

/** Three real generations written by auditd's own rotation (samples/auditd/rotation/capture.json). */
const SAMPLE = join(REPO_ROOT, 'samples', 'auditd', 'rotation', 'logs');
const cli = new ProcTreeCli(REPO_ROOT);

const work = mkdtempSync(join(tmpdir(), 'proc-tree-follow-kill-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('ingest --follow killed with SIGKILL of its process group', () => {
  it('before its first commit, the log rotated before the restart: the restart reads the rotated generation from its start', async () => {
    const dir = join(work, 'first-commit');
    mkdirSync(dir);
    const log = join(dir, 'audit.log');
    const db = join(dir, 'follow.db');
    copyFileSync(join(SAMPLE, 'audit.log.2'), log);
    const first = new FollowProcess(cli, db, log, work);
    // The kill lands once the follow has registered the live file (with the fix, before it
    // reads a byte) or, at the latest, 700 ms after it said it is following: well before its
    // first commit of data (the idle flush commits 1 s after the last append).
    let followingSince: number | undefined;
    while (committedSources(db) === 0 && Date.now() - first.startedAt < 10_000) {
      if (followingSince === undefined && first.stderrSoFar.includes('following ')) followingSince = Date.now();
      if (followingSince !== undefined && Date.now() - followingSince > 700) break;
      await sleep(10);
    }
    const killed = await first.kill();
    expect(killed.signal).toBe('SIGKILL');
    // The scenario: nothing of the log was stored when it died.
    expect(committedInstances(db)).toBe(0);
    // auditd rotates while the follow is down: audit.log -> audit.log.1, a new audit.log.
    renameSync(log, join(dir, 'audit.log.1'));
    copyFileSync(join(SAMPLE, 'audit.log.1'), log);
    const second = await runCli(['ingest', '--follow', '--duration', '2', '--db', db, log]);
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/\/audit\.log\.1 \[auditd\] read: [1-9]\d* bytes[^\n]*\n[^\n]*\/audit\.log \[auditd\] read/);
    // Same history as a plain ingest of the two generations.
    const plain = join(dir, 'plain');
    mkdirSync(plain);
    copyFileSync(join(SAMPLE, 'audit.log.2'), join(plain, 'audit.log.1'));
    copyFileSync(join(SAMPLE, 'audit.log.1'), join(plain, 'audit.log'));
    const reference = join(dir, 'plain.db');
    expect((await runCli(['ingest', '--db', reference, plain])).code).toBe(0);
    expect(comparableDump(db)).toEqual(comparableDump(reference));
  }, 30_000);

  // The short version of `npm run reliability -- --only follow-kill-resume` (24+ kills there).
  it('while a writer appends and rotates 6 real generations: 3-5 kills, restarted each time, then Ctrl-C: the dump equals a plain ingest of the final directory', async () => {
    const dir = join(work, 'writer');
    mkdirSync(dir);
    const r = await followKillResume({ repoRoot: REPO_ROOT, workDir: dir, seed: 11, ...QUICK });
    expect(r.failures).toEqual([]);
    expect(r.crashes).toBe(0);
    expect(r.internalErrors).toBe(0);
    expect(r.dumpsIdentical).toBe(1);
    const c = countKills(r);
    expect(c.landed).toBeGreaterThanOrEqual(3);
    // The first kill comes just before the first rotation: the rotation happens while it is down.
    expect(r.kills[0]!.kind).toBe('just before a rotation');
    expect(c.rotatedWhileDown).toBeGreaterThanOrEqual(1);
    console.log(`follow kill -9: ${c.landed} kills (${c.beforeFirstCommit} before the first commit, ${c.nearRotation} around a rotation, ${c.rotatedWhileDown} rotated while down), ${r.rotations} rotations, ${r.totalWallS.toFixed(1)} s`);
  }, 60_000);
});
