import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openHistoryStore } from '../../src/history/open-history-store.js';
import { timelineEntryText } from '../../src/history/timeline-text.js';
import { timeline } from '../../src/history/timeline.js';
import { runIngest } from '../../src/ingest/run-ingest.js';
import { listAuditdCaptures } from '../support/truth.js';

/**
 * A timeline is read top to bottom as the life of each instance: its rows (parent changes
 * and images) must come in time order, and within one millisecond in audit serial order,
 * the start (its fork's parent row) first: the parent's clone record often has a higher
 * serial than the child's first records (it is written when clone returns in the parent).
 * Checked on every pid of every real capture, through the text `timeline` prints.
 */
const ROW = /^ {4}(\S+Z) {2}.*\[[^\]]* \d+\.\d{3}:(\d+)\]$/;

const dir = mkdtempSync(join(tmpdir(), 'proc-tree-timeline-order-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('timeline rows come in time order, then audit serial', () => {
  let rows = 0;
  afterAll(() => expect(rows).toBeGreaterThan(100));

  for (const capture of listAuditdCaptures()) {
    it(capture.meta.name, async () => {
      const db = join(dir, `${capture.meta.name}.db`);
      await runIngest({ db, inputs: [capture.logDir] });
      const pids = new Set<number>();
      for (const file of capture.logFiles) for (const m of readFileSync(file, 'latin1').matchAll(/ pid=(\d+) /g)) pids.add(Number(m[1]));
      const store = await openHistoryStore(db);
      const problems: string[] = [];
      try {
        for (const pid of pids) {
          const result = await timeline(store, { pid });
          for (const entry of result.entries) {
            let last: { time: string; serial: number; line: string } | undefined;
            const start = entry.instance.startEvidence?.id;
            for (const line of timelineEntryText(entry).split('\n').slice(1)) {
              const m = ROW.exec(line);
              if (!m) continue;
              rows++;
              const isStart = last === undefined && start !== undefined && line.includes(` ${start}]`) && line.includes(' (fork) ');
              const now = { time: m[1]!, serial: isStart ? -1 : Number(m[2]), line };
              // ISO times of one format compare as text.
              if (last !== undefined && (now.time < last.time || (now.time === last.time && now.serial < last.serial))) problems.push(`pid ${pid}: "${line.trim()}" after "${last.line.trim()}"`);
              last = now;
            }
          }
        }
      } finally {
        await store.close();
      }
      expect(problems.slice(0, 10)).toEqual([]);
    }, 120_000);
  }
});
