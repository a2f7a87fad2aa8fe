/**
 * findAuditEvent reads only the part of each log written around the event's time first
 * (events-near-time.ts), then falls back to the full read. On real captures (rotated
 * directories, a single busy log, a .gz copy, a zip) the event it finds is the full read's
 * event, deep-equal: same records, same positions, same line numbers, also where the first
 * pass seeked into the file, and it is found by a narrowed pass, not by the fallback. Logs
 * crafted from real captures: one cut inside an event (as auditd rotates); one with an
 * event's time moved 30 s back (a syscall that blocked 30 s is written with its entry
 * time), found by the wider pass; one moved an hour back, outside every margin: the
 * narrowed passes miss it and the full read finds it.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import type { AssembledEvent } from '../../adapters/auditd/reassemble.js';
import { auditEvents, newAuditEventStreamStats } from '../../src/enrich/audit-event-stream.js';
import { findAuditEvent } from '../../src/enrich/event-by-id.js';
import { auditEventsWithId, EVENT_TIME_MARGINS_MS } from '../../src/enrich/events-near-time.js';
import { auditdCapturesDir } from '../support/truth.js';

const dir = mkdtempSync(join(tmpdir(), 'proc-tree-event-by-id-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const logsOf = (name: string): string => join(auditdCapturesDir, name, 'logs');

async function fullRead(inputs: string[]): Promise<AssembledEvent[]> {
  const out: AssembledEvent[] = [];
  for await (const e of auditEvents(inputs, newAuditEventStreamStats())) out.push(e);
  return out;
}

/** SYSCALL events whose id occurs once in the full read (every `step`-th, to bound the test's time). */
function syscallEvents(events: AssembledEvent[], step: number): AssembledEvent[] {
  const count = new Map<string, number>();
  for (const e of events) count.set(e.id, (count.get(e.id) ?? 0) + 1);
  return events.filter((e) => count.get(e.id) === 1 && e.records[0]?.type === 'SYSCALL').filter((_, i) => i % step === 0);
}

/** What an AssembledEvent is (the reassembler's object also carries its own bookkeeping). */
const fieldsOf = ({ node, id, sec, ms, serial, records, positions }: AssembledEvent) => ({ node, id, sec, ms, serial, records, positions });

/** What the first pass with this margin finds for the event's id. */
async function firstPass(inputs: string[], event: Pick<AssembledEvent, 'sec' | 'ms' | 'serial'>, marginMs: number): Promise<AssembledEvent[]> {
  const out: AssembledEvent[] = [];
  for await (const e of auditEventsWithId(inputs, { sec: event.sec, ms: event.ms, serial: event.serial }, marginMs)) out.push(e);
  return out;
}

/**
 * exec-chain's log with one SYSCALL event (far enough in that a pass stops before it) given a
 * time `seconds` earlier: what a syscall that blocked that long looks like (time of entry,
 * written at exit). Returns the crafted log and the full read's event for the moved id.
 */
async function movedEvent(name: string, seconds: number): Promise<{ log: string; want: AssembledEvent }> {
  const original = readFileSync(join(logsOf('exec-chain'), 'audit.log'), 'latin1').split('\n');
  const at = original.findIndex((l, i) => i > 300 && l.startsWith('type=SYSCALL'));
  expect(at).toBeGreaterThan(0);
  const [, sec, ms, serial] = /msg=audit\((\d+)\.(\d{3}):(\d+)\)/.exec(original[at]!)!;
  const movedId = `${Number(sec) - seconds}.${ms}:${serial}`;
  const crafted = original.map((l) => l.replace(`msg=audit(${sec}.${ms}:${serial})`, `msg=audit(${movedId})`));
  expect(crafted.filter((l) => l.includes(movedId)).length).toBeGreaterThan(1);
  const log = join(dir, name);
  writeFileSync(log, crafted.join('\n'), 'latin1');
  const want = (await fullRead([log])).find((e) => e.id === movedId)!;
  expect(want.records.length).toBeGreaterThan(1);
  return { log, want };
}

/** busy-machine-rotation as logrotate leaves it: audit.log, audit.log.1.gz, audit.log.2.gz. */
function gzippedRotation(name: string): string {
  const out = mkdtempSync(join(dir, `${name}-`));
  const logs = logsOf('busy-machine-rotation');
  writeFileSync(join(out, 'audit.log'), readFileSync(join(logs, 'audit.log')));
  for (const n of [1, 2]) writeFileSync(join(out, `audit.log.${n}.gz`), gzipSync(readFileSync(join(logs, `audit.log.${n}`))));
  return out;
}

describe('findAuditEvent', () => {
  const cases: [string, () => string[], number][] = [
    ['rotation (3 rotated files)', () => [logsOf('rotation')], 1],
    ['busy-machine-rotation (632 KB live file: the first pass seeks)', () => [logsOf('busy-machine-rotation')], 16],
    ['net-files-login (one 694 KB file)', () => [join(logsOf('net-files-login'), 'audit.log')], 12],
    ['a .gz copy of net-files-login (read from the start, lines before the window dropped)', () => {
      const gz = join(dir, 'audit.log.gz');
      writeFileSync(gz, gzipSync(readFileSync(join(logsOf('net-files-login'), 'audit.log'))));
      return [gz];
    }, 12],
    ['busy-machine-rotation with its rotated files gzipped (older ones skipped on the next one\'s head)', () => [gzippedRotation('busy-gz')], 16],
    ['a zip of busy-machine-rotation (its entries read from the start)', () => {
      const zip = join(dir, 'busy.zip');
      execFileSync('zip', ['-q', '-r', zip, 'logs'], { cwd: join(auditdCapturesDir, 'busy-machine-rotation') });
      return [zip];
    }, 16],
  ];
  for (const [name, inputsOf, step] of cases) {
    it(`finds the full read's own event for each SYSCALL event: ${name}`, async () => {
      const inputs = inputsOf();
      const events = syscallEvents(await fullRead(inputs), step);
      expect(events.length).toBeGreaterThan(10);
      let missedByFirstPasses = 0;
      for (const want of events) {
        expect(fieldsOf(await findAuditEvent(inputs, want.id, undefined))).toEqual(fieldsOf(want));
        let inAPass = false;
        for (const margin of EVENT_TIME_MARGINS_MS) if (!inAPass) inAPass = (await firstPass(inputs, want, margin)).length === 1;
        if (!inAPass) missedByFirstPasses++;
      }
      // Found by the narrowed passes, not by the fallback (the capture has no syscall blocked for 10 min).
      expect(missedByFirstPasses).toBe(0);
    });
  }

  it('finds an event whose records span a rotation (the rotation capture cut inside an event, as auditd rotates)', async () => {
    const whole = ['audit.log.2', 'audit.log.1', 'audit.log'].map((f) => readFileSync(join(logsOf('rotation'), f), 'latin1')).join('').split('\n');
    // The first multi-record event from the middle on: cut the log after its first record.
    const idOf = (l: string) => /msg=audit\(([\d.:]+)\)/.exec(l)?.[1];
    const cut = whole.findIndex((l, i) => i > whole.length / 2 && idOf(l) !== undefined && idOf(l) === idOf(whole[i + 1] ?? '')) + 1;
    expect(cut).toBeGreaterThan(1);
    const rotated = mkdtempSync(join(dir, 'cut-rotation-'));
    writeFileSync(join(rotated, 'audit.log.1'), whole.slice(0, cut).join('\n') + '\n', 'latin1');
    writeFileSync(join(rotated, 'audit.log'), whole.slice(cut).join('\n'), 'latin1');
    const want = (await fullRead([rotated])).find((e) => e.id === idOf(whole[cut]!))!;
    expect(new Set(want.positions.map((p) => p.file)).size).toBe(2);
    expect(fieldsOf(await findAuditEvent([rotated], want.id, undefined))).toEqual(fieldsOf(want));
    expect(await firstPass([rotated], want, EVENT_TIME_MARGINS_MS[0]!)).toHaveLength(1);
  });

  it('does not read an older .gz whose successor starts before the window: a late event is found though the oldest file is cut short', async () => {
    const rotated = gzippedRotation('cut-oldest');
    const want = syscallEvents(await fullRead([rotated]), 1).at(-1)!;
    const oldest = join(rotated, 'audit.log.2.gz');
    writeFileSync(oldest, readFileSync(oldest).subarray(0, 2000));
    await expect(fullRead([rotated])).rejects.toThrow(/cut short/);
    expect(fieldsOf(await findAuditEvent([rotated], want.id, undefined))).toEqual(fieldsOf(want));
  });

  it('seeks into a plain file: the first pass reads the event without line numbers, findAuditEvent restores them', async () => {
    const inputs = [join(logsOf('net-files-login'), 'audit.log')];
    const all = await fullRead(inputs);
    const late = all[Math.floor(all.length * 0.9)]!;
    const [seen] = await firstPass(inputs, late, EVENT_TIME_MARGINS_MS[0]!);
    expect(seen.positions.every((p) => p.line === undefined)).toBe(true);
    expect(seen.records).toEqual(late.records);
    expect(fieldsOf(await findAuditEvent(inputs, late.id, undefined))).toEqual(fieldsOf(late));
  });

  it('finds a syscall that blocked 30 s in a wider pass (a real capture with one event moved 30 s back)', async () => {
    const { log, want } = await movedEvent('blocked-30s.log', 30);
    expect(await firstPass([log], want, EVENT_TIME_MARGINS_MS[0]!)).toEqual([]);
    expect(fieldsOf((await firstPass([log], want, EVENT_TIME_MARGINS_MS[1]!))[0]!).records).toEqual(want.records);
    expect(fieldsOf(await findAuditEvent([log], want.id, undefined))).toEqual(fieldsOf(want));
  });

  it('falls back to the full read for an event outside every margin (a real capture with one event moved an hour back)', async () => {
    const { log, want } = await movedEvent('blocked-1h.log', 3600);
    for (const margin of EVENT_TIME_MARGINS_MS) expect(await firstPass([log], want, margin)).toEqual([]);
    expect(fieldsOf(await findAuditEvent([log], want.id, undefined))).toEqual(fieldsOf(want));
  });

  it('reads a named pipe once, in full: a first pass would consume what the full read needs', async () => {
    // The event only the full read finds (moved an hour back); a pass would stop after 50
    // lines, the writer would die of SIGPIPE and the full read would wait for a new writer.
    const { log, want } = await movedEvent('piped.log', 3600);
    const fifo = join(dir, 'log.fifo');
    execFileSync('mkfifo', [fifo]);
    const writer = spawn('sh', ['-c', 'cat "$1" > "$2"', 'sh', log, fifo], { stdio: 'ignore' });
    try {
      const got = await findAuditEvent([fifo], want.id, undefined);
      expect(got.records).toEqual(want.records);
      expect(got.positions).toEqual(want.positions.map((p) => ({ ...p, file: fifo })));
    } finally {
      writer.kill();
    }
  }, 10_000);

  it('an id in no log is the full read\'s message', async () => {
    const inputs = [logsOf('rotation')];
    const events = (await fullRead(inputs)).length;
    await expect(findAuditEvent(inputs, '1795589437.118:1', undefined)).rejects.toThrow(`no event 1795589437.118:1 in ${inputs[0]} (${events} events read)`);
  });
});
