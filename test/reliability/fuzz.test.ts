import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FUZZ_KINDS } from '../../bench/fuzz/fuzz-case.js';
import { formatFuzzResult, runFuzz } from '../../bench/fuzz/fuzz-run.js';
import { REPO_ROOT } from '../cli/cli-runner.js';

const work = mkdtempSync(join(tmpdir(), 'proc-tree-fuzz-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// The short version of `npm run fuzz` (200 cases there, and one 100 MB line).
describe('ingest of mutated real captures (seeded fuzz)', () => {
  it('30 cases over every mutation: no crash, no internal error, bounded RSS, each known damage named by file:line or byte', async () => {
    const seed = 11;
    const r = await runFuzz({ repoRoot: REPO_ROOT, workDir: work, seed, cases: 30, baselines: false });
    const report = formatFuzzResult(r, seed);
    expect(r.outcomes).toHaveLength(30);
    // Every (parser, mutation) pair ran at least once.
    expect(r.byKind).toHaveLength(FUZZ_KINDS.length);
    expect(r.failures.map((o) => `${o.case.kind}: ${o.failure}`), report).toEqual([]);
    // The position check means something only when cases broke known lines and messages.
    const expected = r.outcomes.filter((o) => o.positionFound !== undefined);
    expect(expected.length).toBeGreaterThanOrEqual(10);
    expect(expected.filter((o) => o.case.target === 'auditd').length).toBeGreaterThanOrEqual(3);
    expect(expected.every((o) => o.positionFound)).toBe(true);
  }, 180_000);
});
