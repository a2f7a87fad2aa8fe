/**
 * What the hop between the parse worker and the ingest thread costs per batch of events
 * (src/ingest/event-batch-codec.ts): encoding (worker), the structured clone postMessage
 * does (serialise on the worker, deserialise on the ingest thread: measured apart with
 * node:v8, which uses the same serializer), and decoding back into ProcEvents (ingest
 * thread). The ingest thread is the busy one, so its share (deserialise + decode) is what
 * to keep small.
 *
 *   node dist/bench/stages/event-codec-bench.js [--rounds N] FILE
 *
 * The file goes through the line splitter and the auditd adapter once, in batches of
 * events per 1 MiB of input (as parse-stage.ts makes them); then each step runs over all
 * batches `--rounds` times (default 5). Prints ms per step (best round) and per 1,000
 * events, as JSON.
 */
import { readFileSync } from 'node:fs';
import { deserialize, serialize } from 'node:v8';
import { parseArgs } from 'node:util';
import { createAuditdAdapter } from '../../adapters/auditd/index.js';
import type { ProcEvent } from '../../src/events/proc-event.js';
import { decodeEvents, encodeEvents, type EncodedEvents } from '../../src/ingest/event-batch-codec.js';
import { createLineSplitter } from '../../src/sources/index.js';

const PIECE = 1 << 20;

function batchesOf(file: string): ProcEvent[][] {
  const batches: ProcEvent[][] = [];
  let current: ProcEvent[] = [];
  const adapter = createAuditdAdapter({ onEvent: (e) => current.push(e), onWarning: () => {} });
  const splitter = createLineSplitter({
    file,
    startLine: 1,
    onLine: (text, offset, line) => adapter.pushLine(text, line === undefined ? { file, offset } : { file, offset, line }),
    onSkip: (w) => adapter.skipLine(w),
  });
  const data = readFileSync(file);
  for (let at = 0; at < data.length; at += PIECE) {
    splitter.push(data.subarray(at, at + PIECE));
    batches.push(current);
    current = [];
  }
  splitter.end();
  adapter.finish();
  batches.push(current);
  return batches;
}

/**
 * postMessage transfers the slots' ArrayBuffer (no copy, whatever its size); node:v8 can
 * only copy, so only the used part is serialised here (an over-estimate of the real hop).
 */
function wireForm(e: EncodedEvents): EncodedEvents {
  // (An older layout without `slots` is serialised as it is: A/B runs against earlier builds.)
  return e.slots === undefined ? e : { ...e, slots: e.slots.slice(0, e.used * 8) };
}

function time(run: () => void): number {
  const t0 = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function main(): number {
  const { values, positionals } = parseArgs({ args: process.argv.slice(2), options: { rounds: { type: 'string' } }, allowPositionals: true });
  const file = positionals[0];
  if (file === undefined) {
    process.stderr.write('usage: node dist/bench/stages/event-codec-bench.js [--rounds N] FILE\n');
    return 2;
  }
  const rounds = Number(values.rounds ?? 5);
  const batches = batchesOf(file);
  const events = batches.reduce((n, b) => n + b.length, 0);
  const best = { encode: Infinity, serialize: Infinity, deserialize: Infinity, decode: Infinity };
  let bytes = 0;
  for (let r = 0; r < rounds; r++) {
    let encoded: EncodedEvents[] = [];
    let wire: Buffer[] = [];
    let received: EncodedEvents[] = [];
    best.encode = Math.min(best.encode, time(() => (encoded = batches.map((b) => encodeEvents(b)))));
    best.serialize = Math.min(best.serialize, time(() => (wire = encoded.map((e) => serialize(wireForm(e))))));
    bytes = wire.reduce((n, w) => n + w.length, 0);
    best.deserialize = Math.min(best.deserialize, time(() => (received = wire.map((w) => deserialize(w) as EncodedEvents))));
    let decoded = 0;
    best.decode = Math.min(best.decode, time(() => received.forEach((e) => (decoded += decodeEvents(e).length))));
    if (decoded !== events) throw new Error(`decoded ${decoded} events of ${events}`);
  }
  const per1k = (ms: number) => Number(((ms / events) * 1000).toFixed(3));
  const result = {
    file,
    batches: batches.length,
    events,
    wireBytes: bytes,
    ms: Object.fromEntries(Object.entries(best).map(([k, v]) => [k, Number(v.toFixed(1))])),
    msPer1kEvents: Object.fromEntries(Object.entries(best).map(([k, v]) => [k, per1k(v)])),
    ingestThreadMs: Number((best.deserialize + best.decode).toFixed(1)),
  };
  process.stdout.write(JSON.stringify(result) + '\n');
  return 0;
}

process.exitCode = main();
