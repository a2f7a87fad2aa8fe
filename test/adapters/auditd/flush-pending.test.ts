/**
 * AuditdAdapter.flushPending on a live input gone quiet: with holdUnfinished, a syscall
 * event whose PROCTITLE (the kernel's last record of it) has not come stays open and joins
 * its later records; without, it is emitted as it is and its later records are late-record
 * warnings that say so. Real capture: samples/auditd-slices/real-enriched-long-argv.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAuditdAdapter } from '../../../adapters/auditd/index.js';
import type { IngestWarning } from '../../../src/events/event-sink.js';
import type { ProcEvent } from '../../../src/events/proc-event.js';
import { REPO_ROOT } from '../../cli/cli-runner.js';

const LOG = join(REPO_ROOT, 'samples', 'auditd-slices', 'real-enriched-long-argv', 'audit.log');
const LINES = readFileSync(LOG, 'latin1').split('\n').slice(0, -1);
const idOf = (l: string): string | undefined => /audit\(([\d.]+:\d+)\)/.exec(l)?.[1];
/** The first exec whose argv auditd split over several EXECVE records: cut after the first of them. */
const CUT = LINES.findIndex((l, i) => i > 0 && LINES[i - 1]!.startsWith('type=EXECVE') && / a\d+_len=/.test(LINES[i - 1]!) && l.startsWith('type=EXECVE') && idOf(l) === idOf(LINES[i - 1]!));
const CUT_ID = idOf(LINES[CUT]!)!;

function adapterOf() {
  const events: ProcEvent[] = [];
  const warnings: IngestWarning[] = [];
  const adapter = createAuditdAdapter({ onEvent: (e) => events.push(e), onWarning: (w) => warnings.push(w) });
  let offset = 0;
  const push = (from: number, to: number): void => {
    for (let i = from; i < to; i++) {
      adapter.pushLine(LINES[i]!, { file: LOG, offset, line: i + 1 });
      offset += Buffer.byteLength(LINES[i]!, 'latin1') + 1;
    }
  };
  const exec = (): ProcEvent | undefined => events.find((e) => e.kind === 'exec' && e.evidence?.id === CUT_ID);
  return { adapter, events, warnings, push, exec };
}

/** The exec as a plain read of the whole log gives it. */
function wholeExec(): ProcEvent {
  const { adapter, push, exec } = adapterOf();
  push(0, LINES.length);
  adapter.finish();
  return exec()!;
}

describe('AuditdAdapter.flushPending', () => {
  it('with holdUnfinished, keeps an exec cut between its EXECVE records open: its later records complete it', () => {
    expect(CUT).toBeGreaterThan(0);
    const { adapter, push, exec, warnings } = adapterOf();
    push(0, CUT);
    const held = adapter.flushPending({ holdUnfinished: true });
    expect(held).toBe(1);
    expect(exec()).toBeUndefined();
    expect(adapter.oldestPendingPosition()?.line).toBe(LINES.findIndex((l) => idOf(l) === CUT_ID) + 1);
    push(CUT, LINES.length);
    adapter.finish();
    expect(exec()).toEqual(wholeExec());
    expect(warnings.filter((w) => w.reason === 'late-record')).toEqual([]);
  });

  it('without, emits it cut short, and its later records are late records that say the input had gone quiet', () => {
    const { adapter, push, exec, warnings } = adapterOf();
    push(0, CUT);
    expect(adapter.flushPending()).toBe(0);
    expect(exec()).toBeDefined();
    expect(exec()).not.toEqual(wholeExec());
    push(CUT, LINES.length);
    adapter.finish();
    const late = warnings.filter((w) => w.reason === 'late-record');
    expect(late.length).toBeGreaterThan(0);
    expect(late[0]!.detail).toContain(`of event ${CUT_ID} arrived after the input had gone quiet`);
  });
});
