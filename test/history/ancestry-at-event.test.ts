import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ancestryAt } from '../../src/history/ancestry-at.js';
import { openHistoryStore } from '../../src/history/open-history-store.js';
import { runIngest } from '../../src/ingest/run-ingest.js';
import { auditEventSerial, parseTimeNs } from '../../src/time/parse-time.js';
import { listAuditdCaptures } from '../support/truth.js';

/**
 * An alert names an audit event; `ancestry --at audit(T:SERIAL)` must then give the process
 * that did it, with the parent it had. Every SYSCALL record of a real capture states both
 * (pid=, ppid=), so each one is a probe: asked at its own event id, the chain's first link
 * must be that pid and its parent that ppid. The hard cases are the records of a process's
 * last moments (exit_group, a kill of it): its end is stamped with the same millisecond.
 */
const SYSCALL = /^(?:node=\S+ )?type=SYSCALL msg=audit\((\d+\.\d{3}:\d+)\):.* ppid=(\d+) pid=(\d+) /;
const EXITING = / syscall=(?:60|231|exit|exit_group) /;

interface SyscallProbe {
  eventId: string;
  pid: number;
  ppid: number;
  exiting: boolean;
  where: string;
}

function syscallProbes(files: string[]): SyscallProbe[] {
  const probes: SyscallProbe[] = [];
  for (const file of files) {
    readFileSync(file, 'latin1')
      .split('\n')
      .forEach((line, i) => {
        const m = SYSCALL.exec(line);
        if (m) probes.push({ eventId: m[1]!, ppid: Number(m[2]), pid: Number(m[3]), exiting: EXITING.test(line), where: `${file.split('/').slice(-3).join('/')}:${i + 1}` });
      });
  }
  return probes;
}

const dir = mkdtempSync(join(tmpdir(), 'proc-tree-at-event-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const captures = listAuditdCaptures();

describe('ancestry at an audit event id gives the process of that event and its parent then', () => {
  let exiting = 0;
  afterAll(() => {
    // The captures must hold the hard case, or the tests below prove little.
    expect(exiting).toBeGreaterThan(100);
  });

  for (const capture of captures) {
    it(`${capture.meta.name}: every SYSCALL record asked at its event id`, async () => {
      const db = join(dir, `${capture.meta.name}.db`);
      await runIngest({ db, inputs: [capture.logDir] });
      const store = await openHistoryStore(db);
      const probes = syscallProbes(capture.logFiles);
      const problems: string[] = [];
      try {
        for (const p of probes) {
          if (p.exiting) exiting++;
          const at = `audit(${p.eventId})`;
          const serial = auditEventSerial(at)!;
          try {
            const r = await ancestryAt(store, { pid: p.pid, atNs: parseTimeNs(at), atSerial: serial });
            const self = r.chain[0]!;
            if (self.pid !== p.pid || self.ppid !== p.ppid) problems.push(`${p.where}: ${at} pid ${p.pid} ppid ${p.ppid}: got pid ${self.pid} ppid ${self.ppid ?? '?'}`);
          } catch (e) {
            problems.push(`${p.where}: ${at} pid ${p.pid}: ${(e as Error).message}`);
          }
        }
      } finally {
        await store.close();
      }
      expect(probes.length).toBeGreaterThan(0);
      expect(problems.slice(0, 10)).toEqual([]);
    }, 120_000);
  }
});
