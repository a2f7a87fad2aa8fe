import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { GZIP_SAMPLE, damagedVariants, problem, tryDamagedGzip } from '../../bench/reliability/cases/damaged-gzip.js';
import { REPO_ROOT } from '../cli/cli-runner.js';

const work = mkdtempSync(join(tmpdir(), 'proc-tree-damaged-gzip-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// The short version of `npm run reliability -- --only damaged-gzip` (26 variants there).
describe('a truncated or corrupted .gz of a real capture', () => {
  it('says so in one line naming the file, exits 3, keeps what was read queryable, warns when what was read may be altered', async () => {
    const gz = gzipSync(readFileSync(join(REPO_ROOT, GZIP_SAMPLE)), { level: 9 });
    const all = damagedVariants(gz, 7, 4, 1);
    // A seeded cut mid-stream, a seeded flip in the deflate data, a zeroed CRC-32.
    const variants = [all[3]!, all[4]!, all.find((v) => v.label === 'CRC-32 zeroed')!];
    const { outcomes } = await tryDamagedGzip(REPO_ROOT, work, variants);
    expect(outcomes.map((x) => [x.variant.label, problem(x)])).toEqual(variants.map((v) => [v.label, undefined]));
    // The cut stores an exact prefix of the plain capture; a zeroed CRC is noticed at the very end.
    expect(outcomes[0]!.equalsPlainPrefix).toBe(true);
    expect(outcomes[0]!.instances).toBeGreaterThan(0);
    expect(outcomes[2]!.committedOffset).toBeGreaterThan(readFileSync(join(REPO_ROOT, GZIP_SAMPLE)).length / 2);
  }, 60_000);
});
