import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ExecEvent, ForkEvent, LossEvent, ProcEvent } from '../../../src/events/proc-event.js';
import { corpusPath, corpusTraces, corpusYamlFiles, runBytes, runTrace, traceLines, yamlBlockScalars } from './trace-helpers.js';

const forks = (events: ProcEvent[]) => events.filter((e): e is ForkEvent => e.kind === 'fork');
const execs = (events: ProcEvent[]) => events.filter((e): e is ExecEvent => e.kind === 'exec');
const losses = (events: ProcEvent[]) => events.filter((e): e is LossEvent => e.kind === 'loss');

/** Audit ids of SYSCALL records with the given syscall numbers, read straight from the trace text. */
function syscallIds(relative: string, numbers: number[]): string[] {
  const ids: string[] = [];
  for (const line of traceLines(relative)) {
    const m = /type=SYSCALL msg=audit\(([\d.:]+)\).* syscall=(\d+) success="?yes/.exec(line);
    if (m && numbers.includes(Number(m[2]))) ids.push(m[1]!);
  }
  return ids;
}

function sanityCheck(events: ProcEvent[]): void {
  for (const event of events) {
    expect(typeof event.timestampNs).toBe('bigint');
    expect(event.timestampNs > 0n).toBe(true);
    expect(event.evidence?.id).toMatch(/^\d+\.\d+:\d+$/);
    expect(Number.isInteger(event.evidence?.offset)).toBe(true);
    if ('pid' in event) expect(event.pid).toBeGreaterThan(0);
    if (event.kind === 'fork') {
      expect(event.childPid).toBeGreaterThan(0);
      expect(event.childPid).not.toBe(event.parentPid);
    }
  }
}

describe('auditd adapter over the public corpus', () => {
  it.each(corpusTraces())('reads %s without a crash and with well-formed events', (relative) => {
    const run = runTrace(relative);
    sanityCheck(run.events);
    expect(run.stats.lines).toBeGreaterThan(0);
    for (const w of run.warnings) expect(w.position?.file).toBe(relative);
  });

  it.each(corpusYamlFiles())('reads every YAML-wrapped case of %s', (relative) => {
    const cases = yamlBlockScalars(readFileSync(corpusPath(relative), 'utf8'));
    expect(cases.size).toBeGreaterThan(0);
    for (const [name, text] of cases) {
      const run = runBytes(Buffer.from(text, 'latin1'), `${relative}#${name}`);
      sanityCheck(run.events);
      // Each case is audit text: its records parse (no malformed lines from our YAML decoding).
      expect(run.stats.skipped['malformed-line'] ?? 0).toBe(0);
      expect(run.stats.records).toBeGreaterThan(0);
    }
  });

  it('turns every successful clone and execve of shell-proc-trace.txt into a fork or exec', () => {
    const relative = 'laurel/shell-proc-trace.txt';
    const run = runTrace(relative);
    expect(forks(run.events).map((e) => e.evidence!.id)).toEqual(syscallIds(relative, [56]));
    expect(execs(run.events).map((e) => e.evidence!.id)).toEqual(syscallIds(relative, [59]));
    expect(forks(run.events)).toHaveLength(5);
    expect(execs(run.events)).toHaveLength(4);
    // Every exec'ing process was forked in the trace by the process the exec names as ppid.
    for (const exec of execs(run.events)) {
      const fork = forks(run.events).find((f) => f.childPid === exec.pid);
      expect(fork?.parentPid).toBe(exec.ppid);
    }
  });

  it('gives the same fork/exec set for the reordered twin whose EOEs are all held back', () => {
    const key = (e: ProcEvent) => JSON.stringify({ ...e, evidence: { id: e.evidence?.id } }, (_k, v) => (typeof v === 'bigint' ? String(v) : v));
    const plain = runTrace('laurel/shell-proc-trace.txt').events.map(key).sort();
    const reordered = runTrace('laurel/shell-proc-trace-reordered.txt').events.map(key).sort();
    expect(reordered).toEqual(plain);
  });

  it('follows the aarch64 double fork of fork-sleep-exec.txt with records in reverse order', () => {
    const run = runTrace('laurel/fork-sleep-exec.txt');
    const [first, second] = execs(run.events);
    // The demo program itself: argv and cwd come from EXECVE/CWD records that precede SYSCALL.
    expect(first).toMatchObject({ pid: 1578539, ppid: 3822680, image: { exe: '/home/user/bin/uncaring-parent', argv: ['/home/user/bin/uncaring-parent'], cwd: '/home/user' } });
    // Its child forks (clone = 220 on aarch64) ...
    expect(forks(run.events)).toEqual([expect.objectContaining({ parentPid: 1578540, childPid: 1578541, parentPpid: 1578539 })]);
    // ... then execs after its parent exited: reparented to init.
    expect(second).toMatchObject({ pid: 1578540, ppid: 1, image: { exe: '/usr/bin/true', comm: 'true' } });
  });

  it('keeps the two lives of pid 2655 apart in shell-proc-trace-confusion.txt (rm, then a csh)', () => {
    const { events } = runTrace('laurel/shell-proc-trace-confusion.txt');
    const rm = events.findIndex((e) => e.kind === 'exec' && e.pid === 2655 && e.image.argv?.[0] === 'rm');
    const reborn = events.findIndex((e) => e.kind === 'fork' && e.childPid === 2655);
    const id = events.findIndex((e) => e.kind === 'exec' && e.pid === 2656);
    expect(rm).toBeGreaterThanOrEqual(0);
    expect(reborn).toBeGreaterThan(rm);
    expect(events[reborn]).toMatchObject({ parentPid: 2542, parentImage: { comm: 'csh' } });
    expect(id).toBeGreaterThan(reborn);
    expect(events[id]).toMatchObject({ ppid: 2655, image: { argv: ['id'] } });
    expect(forks(events).some((f) => f.parentPid === 2655 && f.childPid === 2656)).toBe(true);
  });

  it('rebuilds the 8192-byte argument split over three EXECVE records (record-execve-long.txt)', () => {
    const relative = 'laurel/record-execve-long.txt';
    const [exec] = execs(runTrace(relative).events);
    // Independent reading of the trace: concatenate the a1[k] hex chunks in order.
    const hex = traceLines(relative)
      .flatMap((line) => [...line.matchAll(/ a1\[(\d+)\]=([0-9A-F]+)/g)])
      .sort((a, b) => Number(a[1]) - Number(b[1]))
      .map((m) => m[2])
      .join('');
    expect(hex.length).toBe(16384);
    expect(exec!.image.argv).toEqual(['/bin/echo', Buffer.from(hex, 'hex').toString('utf8')]);
    expect(exec!.image.argv![1]).toHaveLength(8192);
    expect(exec!.image.argvTruncated).toBeUndefined();
  });

  it('decodes hex argv and ENRICHED user names (record-perl-reverse-shell.txt, record-execve.txt)', () => {
    const [perl] = execs(runTrace('laurel/record-perl-reverse-shell.txt').events);
    expect(perl!.image.argv![0]).toBe('perl');
    expect(perl!.image.argv![2]).toContain(' '); // hex-encoded because of spaces and quotes
    const whoami = runTrace('laurel/record-execve.txt').events;
    expect(whoami).toHaveLength(1);
    expect(whoami[0]).toMatchObject({ kind: 'exec', host: 'work', pid: 10884, ppid: 10883, image: { argv: ['whoami'], cwd: '/home/user/tmp' }, creds: { uid: 0, user: 'root', auid: 1000, auser: 'user' } });
  });

  it('uses --host for records without node= and node= otherwise', () => {
    expect(runTrace('laurel/record-execve.txt', { host: 'other' }).events[0]!.host).toBe('work');
    expect(runTrace('laurel/shell-proc-trace.txt', { host: 'box1' }).events.every((e) => e.host === 'box1')).toBe(true);
    expect(runTrace('laurel/shell-proc-trace.txt').events.every((e) => e.host === undefined)).toBe(true);
  });

  it('reports the 9 events missing from lost_messages.log and none in rollover.log or normal.log', () => {
    const lost = losses(runTrace('go-libaudit/lost_messages.log').events);
    expect(lost.reduce((n, e) => n + (e.count ?? 0), 0)).toBe(9);
    expect(losses(runTrace('go-libaudit/rollover.log').events)).toEqual([]);
    expect(losses(runTrace('go-libaudit/normal.log').events)).toEqual([]);
    expect(losses(runTrace('go-libaudit/out_of_order.log').events)).toEqual([]);
  });

  it('gives the same events for out_of_order.log as for normal.log', () => {
    const strip = (events: ProcEvent[]) => events.map((e) => ({ ...e, evidence: e.evidence?.id }));
    expect(strip(runTrace('go-libaudit/out_of_order.log').events)).toEqual(strip(runTrace('go-libaudit/normal.log').events));
  });

  it('counts an UNKNOWN[1420] record as a warning and still reads its event (record-service-start.txt)', () => {
    const run = runTrace('laurel/record-service-start.txt');
    expect(run.stats.skipped['unknown-record-type']).toBe(1);
    expect(run.warnings[0]).toMatchObject({ reason: 'unknown-record-type', position: { line: 4 } });
    expect(run.events.filter((e) => e.kind === 'observed')).toHaveLength(1);
  });

  it('skips damaged lines with counted warnings and keeps every other event', () => {
    const relative = 'laurel/shell-proc-trace.txt';
    const clean = readFileSync(corpusPath(relative)).toString('latin1').split('\n');
    const syscallLine = clean.findIndex((l) => l.startsWith('type=SYSCALL') && l.includes('syscall=56'));
    const damaged = [
      ...clean.slice(0, syscallLine),
      clean[syscallLine]!.slice(0, clean[syscallLine]!.indexOf('comm="') + 9), // cut inside a quoted value
      '\x00\x01\xff\xfegarbage bytes \x1d\x1d',
      'type=SYSCALL msg=audit(16826090',
      'x'.repeat(50 * 1024 * 1024),
      ...clean.slice(syscallLine + 1),
    ].join('\n');
    const run = runBytes(Buffer.from(damaged, 'latin1'), relative);
    expect(run.stats.skipped).toEqual({ 'truncated-record': 1, 'malformed-line': 1, 'missing-timestamp': 1, 'oversized-line': 1 });
    const expected = runTrace(relative).events.filter((e) => e.evidence!.id !== /audit\(([\d.:]+)\)/.exec(clean[syscallLine]!)![1]);
    const strip = (events: ProcEvent[]) => events.map((e) => ({ ...e, evidence: e.evidence?.id }));
    expect(strip(run.events)).toEqual(strip(expected));
    for (const w of run.warnings) expect(w.position?.line).toBeGreaterThan(0);
  });
});

describe('resuming from oldestPendingPosition', () => {
  it.each(['laurel/shell-proc-trace-reordered.txt', 'go-libaudit/out_of_order.log', 'audit-userspace/test3.log'])(
    'loses nothing when a run over %s is killed at any line and restarted from the checkpoint',
    async (relative) => {
      const { createAuditdAdapter } = await import('../../../adapters/auditd/index.js');
      const bytes = readFileSync(corpusPath(relative));
      const key = (e: ProcEvent) => `${e.kind}:${e.evidence!.id}`;
      const full = runBytes(bytes, relative).events.filter((e) => e.kind !== 'loss').map(key);
      const lines = bytes.toString('latin1').split('\n');
      let offset = 0;
      for (let killAt = 1; killAt < lines.length; killAt++) {
        // First run: feed lines up to killAt, keep what was emitted, take the checkpoint.
        const first: ProcEvent[] = [];
        const adapter = createAuditdAdapter({ onEvent: (e) => first.push(e), onWarning: () => undefined });
        offset = 0;
        for (let i = 0; i < killAt; i++) {
          adapter.pushLine(lines[i]!, { file: relative, offset, line: i + 1 });
          offset += lines[i]!.length + 1;
        }
        const checkpoint = adapter.oldestPendingPosition()?.offset ?? offset;
        // Second run from the checkpoint; the store deduplicates on evidence id.
        const second = runBytes(bytes.subarray(checkpoint), relative).events;
        const seen = new Set(first.filter((e) => e.kind !== 'loss').map(key));
        for (const e of second) if (e.kind !== 'loss') seen.add(key(e));
        expect([...seen].sort(), `killed at line ${killAt}`).toEqual([...new Set(full)].sort());
      }
    },
  );
});
