import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../../adapters/auditd/audit-record.js';
import { parseRecord } from '../../../adapters/auditd/parse-record.js';
import type { AssembledEvent } from '../../../adapters/auditd/reassemble.js';
import { toProcEvents } from '../../../adapters/auditd/to-proc-events.js';
import type { ProcEvent } from '../../../src/events/proc-event.js';
import { repoRoot } from '../../support/truth.js';
import { traceLines } from './trace-helpers.js';

const TRACE = 'laurel/shell-proc-trace.txt';

/** The records of one real event of shell-proc-trace.txt, optionally edited. */
function eventLines(serial: number, edit: (line: string) => string = (l) => l): string[] {
  return traceLines(TRACE)
    .filter((l) => l.includes(`:${serial}):`) && !l.startsWith('type=EOE'))
    .map(edit);
}

function convert(lines: string[], defaultHost?: string): { events: ProcEvent[]; unusable: string[] } {
  const records = lines.map((l) => parseRecord(l) as AuditRecord);
  const first = records[0]!;
  const event: AssembledEvent = { node: first.node, id: first.id, sec: first.sec, ms: first.ms, serial: first.serial, records, positions: records.map((_, i) => ({ file: TRACE, offset: i * 100, line: i + 1 })) };
  const events: ProcEvent[] = [];
  const unusable: string[] = [];
  toProcEvents(event, { defaultHost, emit: (e) => events.push(e), unusable: (reason) => unusable.push(reason) });
  return { events, unusable };
}

// 29237: bash (71432) clones 71505 with a0=1200011 (fork-like flags); 29238: 71505 execs /bin/sh.
const CLONE = 29237;
const EXEC = 29238;

describe('toProcEvents', () => {
  it('turns a clone without CLONE_THREAD into a fork with the parent image and credentials', () => {
    const [fork] = convert(eventLines(CLONE), 'h1').events;
    expect(fork).toMatchObject({
      kind: 'fork',
      host: 'h1',
      parentPid: 71432,
      childPid: 71505,
      parentPpid: 3505,
      parentImage: { comm: 'bash', exe: '/usr/bin/bash' },
      parentCreds: { uid: 1000, euid: 1000, gid: 1000, egid: 1000, auid: 1000 },
      evidence: { file: TRACE, id: '1682609045.526:29237', line: 1 },
    });
    expect(fork!.timestampNs).toBe(1682609045526000000n);
    expect(fork).not.toHaveProperty('maybeThread');
  });

  it('drops thread creation (CLONE_THREAD in a0) to an observed event', () => {
    // glibc's pthread_create flags: CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|SETTLS|PARENT_SETTID|CHILD_CLEARTID.
    const { events } = convert(eventLines(CLONE, (l) => l.replace('a0=1200011', 'a0=3d0f00')));
    expect(events).toEqual([expect.objectContaining({ kind: 'observed', pid: 71432, ppid: 3505 })]);
  });

  it('marks clone3 forks as maybeThread (its flags are behind a pointer)', () => {
    const { events } = convert(eventLines(CLONE, (l) => l.replace('syscall=56', 'syscall=435')));
    expect(events).toEqual([expect.objectContaining({ kind: 'fork', childPid: 71505, maybeThread: true })]);
  });

  it('does not trust a0 as clone flags on an arch known only by its ENRICHED name', () => {
    const s390 = (l: string) => l.replace('arch=c000003e', 'arch=80000016').replace(/key="fork"$/, 'key="fork"\x1dARCH=s390x SYSCALL=clone');
    const { events } = convert(eventLines(CLONE, (l) => s390(l).replace('a0=1200011', 'a0=3ffff7d0f00')));
    expect(events).toEqual([expect.objectContaining({ kind: 'fork', childPid: 71505, maybeThread: true })]);
  });

  it('gives a CLONE_PARENT child to the caller\'s parent', () => {
    const { events } = convert(eventLines(CLONE, (l) => l.replace('a0=1200011', 'a0=1208011')));
    expect(events[0]).toMatchObject({ kind: 'fork', parentPid: 3505, childPid: 71505 });
  });

  it('flags the child of a real clone(CLONE_NEWPID) as a new pid namespace\'s init, and no other fork of that capture', () => {
    // samples/auditd/clone-newpid: clone-newpid.c calls clone(CLONE_NEWPID | SIGCHLD).
    const log = readFileSync(join(repoRoot, 'samples', 'auditd', 'clone-newpid', 'logs', 'audit.log'), 'latin1').split('\n');
    const serials = [...new Set(log.filter((l) => /^type=SYSCALL .* syscall=56 success=yes /.test(l)).map((l) => Number(/:(\d+)\):/.exec(l)![1])))];
    const withNewPid = (l: string) => (Number.parseInt(/ a0=([0-9a-f]+)/.exec(l)![1]!, 16) & 0x20000000) !== 0;
    let flagged = 0;
    for (const serial of serials) {
      const lines = log.filter((l) => l.includes(`:${serial}):`) && !l.startsWith('type=EOE'));
      const syscall = lines.find((l) => l.startsWith('type=SYSCALL'))!;
      const [fork] = convert(lines).events;
      expect(fork).toMatchObject({ kind: 'fork', childPid: Number(/ exit=(\d+)/.exec(syscall)![1]) });
      if (withNewPid(syscall)) {
        flagged++;
        expect(fork).toHaveProperty('newPidNamespace', true);
        expect(fork).not.toHaveProperty('maybeThread');
      } else {
        expect(fork).not.toHaveProperty('newPidNamespace');
      }
    }
    expect(flagged).toBe(1);
    expect(serials.length).toBeGreaterThan(10);
  });

  it('cannot see CLONE_NEWPID through clone3 (its flags are in a struct, not the record)', () => {
    const { events } = convert(eventLines(CLONE, (l) => l.replace('syscall=56', 'syscall=435').replace('a0=1200011', 'a0=20000011')));
    expect(events).toEqual([expect.objectContaining({ kind: 'fork', maybeThread: true })]);
    expect(events[0]).not.toHaveProperty('newPidNamespace');
  });

  it('makes no fork from a failed clone', () => {
    const { events } = convert(eventLines(CLONE, (l) => l.replace('success=yes exit=71505', 'success=no exit=-11')));
    expect(events.map((e) => e.kind)).toEqual(['observed']);
  });

  it('turns exit_group (no success/exit fields) into a process exit with a0 as status', () => {
    const { events } = convert(eventLines(CLONE, (l) => l.replace('syscall=56 success=yes exit=71505 a0=1200011', 'syscall=231 a0=3')));
    expect(events).toEqual([expect.objectContaining({ kind: 'exit', pid: 71432, ppid: 3505, exitCode: 3, certainty: 'observed' })]);
  });

  it('treats exit (60 on x86_64) as one thread ending, not the process', () => {
    const { events } = convert(eventLines(CLONE, (l) => l.replace('syscall=56 success=yes exit=71505 a0=1200011', 'syscall=60 a0=0')));
    expect(events.map((e) => e.kind)).toEqual(['observed']);
  });

  it('reads execve with argv, cwd and the new image', () => {
    const [exec] = convert(eventLines(EXEC)).events;
    expect(exec).toMatchObject({
      kind: 'exec',
      pid: 71505,
      ppid: 71432,
      image: { exe: '/usr/bin/dash', comm: 'test-script.sh', argv: ['/bin/sh', './src/testdata/double-fork/test-script.sh'], cwd: '/home/user/src/laurel' },
      creds: { uid: 1000 },
    });
  });

  it('maps i386 syscall numbers by arch= (execve = 11, clone = 120)', () => {
    const i386 = (l: string) => l.replace('arch=c000003e', 'arch=40000003');
    expect(convert(eventLines(EXEC, (l) => i386(l).replace('syscall=59', 'syscall=11'))).events[0]!.kind).toBe('exec');
    expect(convert(eventLines(CLONE, (l) => i386(l).replace('syscall=56', 'syscall=120'))).events[0]!.kind).toBe('fork');
    // 59 is not execve on i386 (it is oldolduname): just evidence of life.
    expect(convert(eventLines(EXEC, i386)).events[0]!.kind).toBe('observed');
  });

  it('turns a failed execve into an observed event of the unchanged process', () => {
    const { events } = convert(eventLines(EXEC, (l) => l.replace('success=yes exit=0', 'success=no exit=-2')));
    expect(events[0]).toMatchObject({ kind: 'observed', pid: 71505, ppid: 71432 });
  });

  it('reports an event without a SYSCALL record instead of guessing', () => {
    const result = convert(eventLines(EXEC).filter((l) => !l.startsWith('type=SYSCALL')));
    expect(result).toEqual({ events: [], unusable: ['event-without-syscall'] });
  });
});
