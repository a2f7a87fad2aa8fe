import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { filteredLogHint } from '../../src/ingest/loss-hint.js';
import { runIngest } from '../../src/ingest/run-ingest.js';
import { formatSummary } from '../../src/ingest/ingest-summary.js';

const repoRoot = resolve(__dirname, '..', '..');
const corpus = resolve(repoRoot, '..', 'shared', 'corpus', 'public');
const dir = mkdtempSync(join(tmpdir(), 'proc-tree-loss-hint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const ingest = (input: string) => runIngest({ db: join(dir, `h${++n}.db`), inputs: [input] });

describe('filteredLogHint', () => {
  it.each([
    ['laurel/shell-proc-trace-confusion.txt'],
    ['go-libaudit/audit-rhel7.log'],
  ])('suggests --no-loss-detection for %s, whose serial gaps are records left out, without changing the losses stored', async (name) => {
    const summary = await ingest(join(corpus, name));
    expect(summary.builder.losses).toBeGreaterThan(0); // still detected and stored
    expect(summary.filteredLogHint).toBeDefined();
    expect(summary.filteredLogHint!.gaps).toBe(summary.builder.losses);
    expect(summary.filteredLogHint!.records).toBe(summary.lines);
    expect(formatSummary(summary)).toMatch(/note: the losses look like a filtered or edited log .*--no-loss-detection/);
  });

  it('gives no hint on the real captures of this machine (no gaps) nor on a log with one real kernel loss', async () => {
    const samples = join(repoRoot, 'samples', 'auditd');
    const logs = readdirSync(samples, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => join(samples, d.name, 'logs'))
      .filter((p) => statSync(p, { throwIfNoEntry: false })?.isDirectory() === true);
    expect(logs.length).toBeGreaterThan(3);
    for (const log of [...logs, join(corpus, 'go-libaudit', 'lost_messages.log')]) {
      const summary = await ingest(log);
      expect(summary.filteredLogHint, log).toBeUndefined();
      expect(formatSummary(summary)).not.toMatch(/filtered or edited/);
    }
  });

  it('needs several gaps, dense among the records or covering more serials than the records kept', () => {
    expect(filteredLogHint({ gaps: 2, missingEvents: 100_000, records: 10 })).toBeUndefined();
    expect(filteredLogHint({ gaps: 50, missingEvents: 5_000, records: 1_000_000 })).toBeUndefined();
    expect(filteredLogHint({ gaps: 5, missingEvents: 40, records: 50 })?.message).toMatch(/5 serial gaps among 50 records/);
    expect(filteredLogHint({ gaps: 5, missingEvents: 2_000, records: 1_000 })?.message).toMatch(/2000 events missing .* 1000 records kept/);
  });
});
