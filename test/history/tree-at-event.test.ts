import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { descendants } from '../../src/history/descendants.js';
import { openHistoryStore } from '../../src/history/open-history-store.js';
import { treeAt } from '../../src/history/tree-at.js';
import { runIngest } from '../../src/ingest/run-ingest.js';
import { auditEventSerial, parseTimeNs } from '../../src/time/parse-time.js';
import { listAuditdCaptures } from '../support/truth.js';

/**
 * A process's last records (its own exit_group, a kill of it) carry the millisecond its end
 * is stamped with. Asked at such an event id, tree and descendants must still show that
 * process, with the parent the record names (pid=, ppid=), as ancestry does
 * (ancestry-at-event.test.ts): at the event it was there.
 */
const EXITING = /^(?:node=\S+ )?type=SYSCALL msg=audit\((\d+\.\d{3}:\d+)\):.* syscall=(?:60|231) .* ppid=(\d+) pid=(\d+) /;

const dir = mkdtempSync(join(tmpdir(), 'proc-tree-tree-at-event-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tree and descendants at the event id of a process\'s exit show that process', () => {
  let asked = 0;
  afterAll(() => expect(asked).toBeGreaterThan(100));

  for (const capture of listAuditdCaptures()) {
    it(capture.meta.name, async () => {
      const db = join(dir, `${capture.meta.name}.db`);
      await runIngest({ db, inputs: [capture.logDir] });
      const store = await openHistoryStore(db);
      const problems: string[] = [];
      try {
        for (const file of capture.logFiles) {
          for (const line of readFileSync(file, 'latin1').split('\n')) {
            const m = EXITING.exec(line);
            if (!m) continue;
            const at = `audit(${m[1]})`;
            const pid = Number(m[3]);
            const ppid = Number(m[2]);
            const query = { pid, atNs: parseTimeNs(at), atSerial: auditEventSerial(at)! };
            asked++;
            try {
              const root = (await treeAt(store, query)).roots[0]!;
              if (root.pid !== pid || root.ppid !== ppid) problems.push(`tree ${pid} --at ${at}: pid ${root.pid} ppid ${root.ppid ?? '?'}, the record says ppid ${ppid}`);
              const d = await descendants(store, query);
              if (d.root.pid !== pid || d.root.ppid !== ppid) problems.push(`descendants ${pid} --at ${at}: pid ${d.root.pid} ppid ${d.root.ppid ?? '?'}, the record says ppid ${ppid}`);
            } catch (e) {
              problems.push(`${pid} --at ${at}: ${(e as Error).message}`);
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
