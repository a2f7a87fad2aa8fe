import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ExitEvent, ProcEvent } from '../../../src/events/proc-event.js';
import { repoRoot } from '../../support/truth.js';
import { runBytes } from './trace-helpers.js';

// Real capture: kill -9 of single processes and of a process group, kill -TERM of a bash
// that ignores it, `timeout -s KILL` killing its child (samples/tools/scenarios/signals-audited.sh).
const FILE = 'samples/auditd/signals-audited/logs/audit.log';
const LINES = readFileSync(join(repoRoot, FILE), 'utf8').split('\n');

function inferredKills(events: ProcEvent[]): ExitEvent[] {
  return events.filter((e): e is ExitEvent => e.kind === 'exit' && e.inferredBecause === 'sigkill');
}

/** OBJ_PID lines (1-based) of successful kill-family syscalls, with their signal. */
function objPidLines(lines: string[]): { line: number; opid: number; signal: number }[] {
  const out: { line: number; opid: number; signal: number }[] = [];
  let signal = -1;
  lines.forEach((text, i) => {
    const sys = / syscall=(62|200|234) success=yes .*? a1=([0-9a-f]+) a2=([0-9a-f]+)/.exec(text);
    if (sys) signal = parseInt(sys[1] === '234' ? sys[3]! : sys[2]!, 16);
    else if (text.startsWith('type=SYSCALL')) signal = -1;
    const obj = /^type=OBJ_PID .* opid=(\d+) /.exec(text);
    if (obj && signal !== -1) out.push({ line: i + 1, opid: Number(obj[1]), signal });
  });
  return out;
}

function run(lines: string[]): ProcEvent[] {
  return runBytes(Buffer.from(lines.join('\n')), FILE).events;
}

describe('SIGKILL targets of audited kill syscalls', () => {
  it('end every SIGKILLed target at the kill, inferred, with the OBJ_PID line as evidence, and no other target', () => {
    const targets = objPidLines(LINES);
    const killed = targets.filter((t) => t.signal === 9);
    expect(killed.length).toBeGreaterThanOrEqual(5);
    expect(targets.some((t) => t.signal !== 9)).toBe(true); // the SIGTERM the capture also sends
    const exits = inferredKills(run(LINES));
    expect(exits.map((e) => [e.pid, e.evidence?.line])).toEqual(killed.map((t) => [t.opid, t.line]));
    for (const e of exits) expect(e).toMatchObject({ certainty: 'inferred', exitSignal: 9 });
  });

  it('infer nothing from a failed kill or from a signal that is not SIGKILL', () => {
    const failed = LINES.map((l) => l.replace(/ syscall=62 success=yes exit=0 /, ' syscall=62 success=no exit=-3 '));
    expect(inferredKills(run(failed))).toEqual([]);
    const term = LINES.map((l) => (/ syscall=62 /.test(l) ? l.replace(/ a1=9 /, ' a1=f ') : l));
    expect(inferredKills(run(term))).toEqual([]);
  });

  it('read the signal of tgkill from a2 and of tkill from a1', () => {
    const asTgkill = LINES.map((l) => l.replace(/ syscall=62 (success=yes exit=0 a0=[0-9a-f]+) a1=9 a2=[0-9a-f]+ /, ' syscall=234 $1 a1=1 a2=9 ').replace('SYSCALL=kill', 'SYSCALL=tgkill'));
    const asTkill = LINES.map((l) => l.replace(/ syscall=62 /, ' syscall=200 ').replace('SYSCALL=kill', 'SYSCALL=tkill'));
    const pids = (events: ProcEvent[]) => inferredKills(events).map((e) => e.pid);
    const expected = objPidLines(LINES).filter((t) => t.signal === 9).map((t) => t.opid);
    expect(pids(run(asTgkill))).toEqual(expected);
    expect(pids(run(asTkill))).toEqual(expected);
  });
});
