import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { COMMIT_EVERY, copyRotatedSamples } from '../../bench/reliability/cases/kill-resume.js';
import { killResume, killState } from '../../bench/reliability/kill-resume.js';
import { REPO_ROOT } from '../cli/cli-runner.js';

const work = mkdtempSync(join(tmpdir(), 'proc-tree-kill-resume-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// The short version of `npm run reliability -- --only kill-resume` (20 fresh databases there).
describe('ingest killed with SIGKILL of its process group at random moments, re-run until done', () => {
  it('3 fresh databases: every final canonical dump equals the uninterrupted one, no crash, no internal error', async () => {
    const inputs = copyRotatedSamples(REPO_ROOT, work);
    const r = await killResume({ repoRoot: REPO_ROOT, workDir: work, ingestArgs: ['--commit-every', COMMIT_EVERY, ...inputs], trials: 3, seed: 7, firstKillMidIngest: true });
    expect(r.failures).toEqual([]);
    expect(r.crashes).toBe(0);
    expect(r.internalErrors).toBe(0);
    expect(r.dumpsIdentical).toBe(3);
    // The test means something only when kills really cut an ingest between two commits:
    // each trial's first kill waits for that (a run may still finish between two looks).
    expect(r.landed['mid-ingest']).toBeGreaterThanOrEqual(2);
    expect(r.killPointsSurvived).toBeGreaterThanOrEqual(r.landed['mid-ingest']);
  }, 120_000);

  it('tells apart how far a killed run got from what it left in the database', () => {
    expect(killState(join(work, 'never-created.db'))).toBe('no database yet');
    expect(killState(join(work, 'reference.db'))).toBe('all sources complete');
  });
});
