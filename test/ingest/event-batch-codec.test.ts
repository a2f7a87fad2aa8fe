import { join, resolve } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { captureEvents } from '../support/capture-events.js';
import type { ProcEvent } from '../../src/events/proc-event.js';
import { decodeEvents, encodeEvents, EventBatchReader, hostsOf, transferablesOf } from '../../src/ingest/event-batch-codec.js';
import { repoRoot } from '../support/truth.js';

describe('event batch codec', () => {
  it('gives back the adapter events of a real capture field for field, in order', () => {
    const events = captureEvents([join(repoRoot, 'samples', 'auditd', 'busy-machine-rotation', 'logs', 'audit.log.2')]);
    expect(new Set(events.map((e) => e.kind))).toEqual(new Set(['fork', 'exec', 'exit', 'observed']));
    const decoded = decodeEvents(structuredClone(encodeEvents(events)));
    expect(decoded).toEqual(events);
  });

  it('carries the new-pid-namespace flag of a real clone(CLONE_NEWPID) record and adds it to no other fork', () => {
    const events = captureEvents([join(repoRoot, 'samples', 'auditd', 'clone-newpid', 'logs', 'audit.log')]);
    const flagged = (list: ProcEvent[]) => list.flatMap((e, i) => (e.kind === 'fork' && e.newPidNamespace === true ? [i] : []));
    expect(flagged(events)).toHaveLength(1);
    const decoded = decodeEvents(structuredClone(encodeEvents(events)));
    expect(flagged(decoded)).toEqual(flagged(events));
    expect(decoded.filter((e) => e.kind === 'fork' && 'newPidNamespace' in e)).toHaveLength(1);
    expect(decoded).toEqual(events);
  });

  it('keeps host-less events host-less and carries kinds it does not flatten as they are', () => {
    const laurel = resolve(repoRoot, '..', 'shared', 'corpus', 'public', 'laurel', 'shell-proc-trace.txt');
    const events: ProcEvent[] = [
      ...captureEvents([laurel]).slice(0, 5),
      { kind: 'loss', timestampNs: 5n, count: 3, reason: 'gap', evidence: { file: 'x', offset: 1 } },
      { kind: 'exit', timestampNs: 7n, pid: 9, certainty: 'inferred' },
      { kind: 'comm', timestampNs: 8n, host: 'h', pid: 9, comm: 'sh' },
      { kind: 'exit', timestampNs: 9n, pid: 10, certainty: 'inferred', exitSignal: 9, inferredBecause: 'sigkill' },
    ];
    const decoded = decodeEvents(structuredClone(encodeEvents(events)));
    expect(decoded).toEqual(events);
    expect('host' in decoded[6]!).toBe(false);
    expect(decoded[5]).toEqual(events[5]);
  });

  it('crosses a MessagePort with the slots transferred, not copied,, and keeps exotic values exact', async () => {
    const events: ProcEvent[] = [
      ...captureEvents([join(repoRoot, 'samples', 'auditd', 'exec-chain-enriched-node', 'logs', 'audit.log')]),
      // Out of int64: travels as the object itself.
      { kind: 'exit', timestampNs: 2n ** 70n, host: 'h', pid: 1, exitCode: 0 },
      { kind: 'observed', timestampNs: -5n, pid: 2, startTimeNs: 2n ** 63n - 1n, image: { argv: ['\u00e9t\u00e9', '', '\u{1F600}', '\u00e9t\u00e9'], argvTruncated: false } },
      { kind: 'observed', timestampNs: 6n, pid: 3, startTimeNs: 2n ** 64n },
      { kind: 'fork', timestampNs: 7n, host: undefined, childPid: 5, parentPid: 4, parentTid: 6, maybeThread: false, parentCreds: { uid: 0, user: 'root' } },
    ];
    const encoded = encodeEvents(events);
    const { port1, port2 } = new MessageChannel();
    const received = new Promise<typeof encoded>((resolve) => port2.once('message', resolve));
    port1.postMessage(encoded, transferablesOf(encoded));
    expect(encoded.slots.byteLength).toBe(0); // moved, not copied
    const decoded = decodeEvents(await received);
    port1.close();
    expect(decoded).toEqual(events);
    expect('host' in decoded.at(-1)!).toBe(true);
  });

  it('gives back argument lists of every shape: empty, one empty argument, 400 arguments, a 9 kB one, one holding NUL', () => {
    const image = (argv: string[]) => ({ comm: 'true', argv });
    const lists = [[], [''], ['', ''], Array.from({ length: 400 }, (_, i) => String(i + 1)), ['/bin/true', 'A'.repeat(9000)], ['a\0b', 'c'], ['\0'], ['x', '']];
    const events: ProcEvent[] = lists.map((argv, i) => ({ kind: 'exec', timestampNs: BigInt(i), host: 'h', pid: 10 + i, image: image(argv) }));
    // The same list twice in a batch, and a list again after one holding NUL.
    events.push({ kind: 'exec', timestampNs: 99n, host: 'h', pid: 99, image: image(lists[3]!) });
    const decoded = decodeEvents(structuredClone(encodeEvents(events)));
    expect(decoded).toEqual(events);
    expect(decoded.map((e) => (e.kind === 'exec' ? e.image?.argv?.length : -1))).toEqual([0, 1, 2, 400, 2, 2, 1, 2, 400]);
  });

  it('reads a batch one event at a time, the same events in the same order, then undefined', () => {
    const events = captureEvents([join(repoRoot, 'samples', 'auditd', 'busy-machine-rotation', 'logs', 'audit.log.1')]);
    events.splice(3, 0, { kind: 'loss', timestampNs: 5n, count: 3, reason: 'gap' });
    const reader = new EventBatchReader(structuredClone(encodeEvents(events)));
    const read: ProcEvent[] = [];
    for (let e = reader.next(); e !== undefined; e = reader.next()) read.push(e);
    expect(read).toEqual(events);
    expect(reader.next()).toBeUndefined();
  });

  it('names every host of a batch once, host-less and default-host events included, for the writer locks', () => {
    const named = captureEvents([join(repoRoot, 'samples', 'auditd', 'exec-chain-enriched-node', 'logs', 'audit.log')]);
    const plain = captureEvents([join(repoRoot, 'samples', 'auditd', 'exec-chain', 'logs', 'audit.log')]);
    const events: ProcEvent[] = [
      ...named.slice(0, 20),
      ...plain.slice(0, 20),
      { kind: 'fork', timestampNs: 7n, host: undefined, childPid: 5, parentPid: 4 },
      { kind: 'exit', timestampNs: 8n, pid: 9, certainty: 'inferred' },
      ...named.slice(20, 40).map((e) => ({ ...e, host: 'other' })),
      { kind: 'loss', timestampNs: 9n, host: 'lossy', count: 1, reason: 'gap' },
    ];
    const hosts = (list: readonly { host?: string | undefined }[]) => [...new Set(list.map((e) => ('host' in e ? `=${e.host}` : 'absent')))].sort();
    const got = hostsOf(structuredClone(encodeEvents(events)));
    expect(hosts(got)).toEqual(hosts(events));
    expect(hosts(got)).toEqual(['=lossy', '=other', '=undefined', `=${named[0]!.host}`, 'absent'].sort());
    expect(got.length).toBe(hosts(got).length);
  });

  it('gives the events of a batch that name the same argument list one shared array, and others their own', () => {
    const events = captureEvents([join(repoRoot, 'samples', 'auditd', 'busy-machine-rotation', 'logs', 'audit.log.2')]);
    const argvOf = (e: ProcEvent): string[] | undefined => (e.kind === 'exec' || e.kind === 'observed' ? e.image?.argv : e.kind === 'fork' ? e.parentImage?.argv : undefined);
    const decoded = decodeEvents(structuredClone(encodeEvents(events)));
    expect(decoded).toEqual(events);
    const byText = new Map<string, string[]>();
    let shared = 0;
    for (const e of decoded) {
      const argv = argvOf(e);
      if (argv === undefined || argv.length === 0) continue;
      const key = JSON.stringify(argv);
      const seen = byText.get(key);
      if (seen === undefined) byText.set(key, argv);
      else {
        expect(argv).toBe(seen);
        shared++;
      }
    }
    expect(shared).toBeGreaterThan(0);
    expect(new Set(decoded.map(argvOf).filter((a) => a !== undefined && a.length > 0)).size).toBe(byText.size);
  });
});
