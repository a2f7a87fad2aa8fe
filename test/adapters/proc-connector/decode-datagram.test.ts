import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CaptureMeta } from '../../../adapters/proc-connector/capture-files.js';
import { decodeDatagrams } from '../../../adapters/proc-connector/decode-datagram.js';

const SAMPLES = resolve(import.meta.dirname, '../../../samples/proc-connector');
const load = (name: string) => ({
  raw: readFileSync(join(SAMPLES, `${name}.cap`)),
  meta: JSON.parse(readFileSync(join(SAMPLES, `${name}.cap.meta.json`), 'utf8')) as CaptureMeta,
});

describe('decodeDatagrams on real captures', () => {
  it('decodes every datagram of a capture, one message each, with nothing left over', () => {
    const { raw, meta } = load('shell-pipeline');
    const { events, problems, consumed } = decodeDatagrams(raw);
    expect(problems).toEqual([]);
    expect(consumed).toBe(raw.length);
    expect(events.length).toBe(meta.datagrams);
  });

  it('starts with the kernel accepting our subscription (an ack with errno 0)', () => {
    const { events } = decodeDatagrams(load('exec-chain').raw);
    expect(events[0]).toMatchObject({ what: 'ack', err: 0 });
  });

  it('sees per-CPU sequence numbers rise by exactly one when nothing was lost', () => {
    const { events } = decodeDatagrams(load('pid-reuse').raw);
    const last = new Map<number, number>();
    let checked = 0;
    for (const ev of events) {
      const previous = last.get(ev.cpu);
      if (previous !== undefined) {
        expect(ev.seq).toBe(previous + 1);
        checked++;
      }
      last.set(ev.cpu, ev.seq);
    }
    expect(checked).toBeGreaterThan(1000);
  });

  it('puts every event inside the capture window once the monotonic offset is applied', () => {
    const { raw, meta } = load('double-fork-daemon');
    const offset = BigInt(meta.monotonic_to_realtime_ns);
    const start = BigInt(meta.startNs);
    const end = BigInt(meta.endNs!);
    const { events } = decodeDatagrams(raw);
    for (const ev of events) {
      const wall = ev.monotonicNs + offset;
      expect(wall).toBeGreaterThanOrEqual(start);
      expect(wall).toBeLessThanOrEqual(end);
    }
  });

  it('reads fork pids and tgids: a thread has child pid != tgid, a process has them equal', () => {
    const { events } = decodeDatagrams(load('threads-spawn').raw);
    const forks = events.filter((e) => e.what === 'fork');
    const threads = forks.filter((e) => e.childPid !== e.childTgid);
    const processes = forks.filter((e) => e.childPid === e.childTgid);
    expect(threads.length).toBeGreaterThan(0);
    expect(processes.length).toBeGreaterThan(0);
    for (const f of forks) {
      expect(f.childPid).toBeGreaterThan(0);
      expect(f.parentTgid).toBeGreaterThan(0);
    }
  });

  it('reads COMM names as short NUL-terminated strings', () => {
    const comms = decodeDatagrams(load('pid-reuse').raw).events.filter((e) => e.what === 'comm');
    expect(comms.length).toBeGreaterThan(0);
    for (const c of comms) {
      expect(c.comm.length).toBeGreaterThan(0);
      expect(Buffer.byteLength(c.comm)).toBeLessThanOrEqual(15);
      expect(c.comm).not.toContain('\0');
    }
  });

  it('reports a cut-off tail as unconsumed instead of decoding garbage', () => {
    const { raw } = load('shell-pipeline');
    const whole = decodeDatagrams(raw).events;
    const cut = raw.subarray(0, 76 * 10 + 30);
    const result = decodeDatagrams(cut);
    expect(result.events).toEqual(whole.slice(0, 10));
    expect(result.consumed).toBe(76 * 10);
    expect(result.problems).toEqual([]);
  });

  it('reports a damaged length with its offset, skips to the next message and decodes the rest', () => {
    const { raw } = load('shell-pipeline');
    const whole = decodeDatagrams(raw).events;
    const damaged = Buffer.from(raw);
    const at = whole[5]!.offset;
    damaged.writeUInt32LE(0xffff, at);
    const result = decodeDatagrams(damaged, 1000);
    expect(result.problems.map((p) => [p.reason, p.offset])).toEqual([
      ['bad-message-length', 1000 + at],
      ['resynchronized', 1000 + at],
    ]);
    expect(result.events.length).toBe(whole.length - 1);
    expect(result.events[5]!.offset).toBe(1000 + whole[6]!.offset);
    expect(result.consumed).toBe(raw.length);
  });

  it('decodes an unknown event type as unknown with its code, keeping its header', () => {
    const { raw } = load('exec-chain');
    const copy = Buffer.from(raw.subarray(0, 76 * 3));
    copy.writeUInt32LE(0x400, 76 + 36); // second message's proc_event.what
    const events = decodeDatagrams(copy).events;
    expect(events[1]).toMatchObject({ what: 'unknown', code: 0x400, offset: 76 });
    expect(events[2]!.what).not.toBe('unknown');
  });

  it('rejects a message too short for its event type as short-event', () => {
    const { raw } = load('exec-chain');
    const copy = Buffer.from(raw.subarray(0, 76 * 2));
    copy.writeUInt16LE(20, 76 + 16 + 16); // second message's cn_msg.len: header only, no union
    const result = decodeDatagrams(copy);
    expect(result.events.length).toBe(1);
    expect(result.problems[0]).toMatchObject({ reason: 'short-event', offset: 76 });
  });
});
