import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hugeLineProblem, RSS_MARGIN_MIB, tryHugeLine } from '../../bench/reliability/cases/huge-lines.js';
import { REPO_ROOT } from '../cli/cli-runner.js';

const work = mkdtempSync(join(tmpdir(), 'proc-tree-huge-lines-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// The short version of `npm run reliability -- --only huge-lines` (a 2 GiB bomb there).
describe('a gzip bomb between two real captures', () => {
  it(`256 MiB of NULs in 0.27 MB: exit 0, the line counted with its position, the rest stored, peak RSS within ${RSS_MARGIN_MIB} MiB of the captures alone`, async () => {
    const r = await tryHugeLine(REPO_ROOT, work, 'bomb', 256 * 2 ** 20);
    // Before the .gz content head was streamed (src/sources/gzip-head.ts): 208 MiB vs 72.
    expect(hugeLineProblem(r)).toBeUndefined();
  }, 60_000);
});
