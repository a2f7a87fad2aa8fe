/**
 * Runs the first stages of `proc-tree ingest` alone over one file, so the bench can say
 * where ingest time goes: `read` (read the file), `split` (+ line splitting),
 * `adapter` (+ record parsing, reassembly and ProcEvent conversion, events counted and
 * dropped). The full ingest adds the tree and the SQLite store on top.
 *
 *   node dist/bench/stages/pipeline-stages.js --stage adapter FILE
 *
 * Prints one JSON object on stdout: { stage, lines, events, warnings, adapterStats, seconds }.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createAuditdAdapter } from '../../adapters/auditd/index.js';
import type { AuditdAdapterStats } from '../../adapters/auditd/index.js';
import type { EventSink } from '../../src/events/event-sink.js';
import { createLineSplitter } from '../../src/sources/index.js';

export const STAGES = ['read', 'split', 'adapter'] as const;
export type Stage = (typeof STAGES)[number];

const CHUNK = 1 << 20;

function run(stage: Stage, file: string): { lines: number; events: number; warnings: number; adapterStats?: AuditdAdapterStats } {
  let lines = 0;
  let events = 0;
  let warnings = 0;
  const sink: EventSink = {
    onEvent() {
      events++;
    },
    onWarning() {
      warnings++;
    },
  };
  const adapter = stage === 'adapter' ? createAuditdAdapter(sink) : undefined;
  const splitter = createLineSplitter({
    file,
    startLine: 1,
    onLine(text, offset, line) {
      lines++;
      adapter?.pushLine(text, { file, offset, line });
    },
    onSkip(warning) {
      if (adapter) adapter.skipLine(warning);
      else warnings++;
    },
  });
  const fd = openSync(file, 'r');
  try {
    for (;;) {
      // A fresh buffer per chunk: the splitter may keep a view of the previous one.
      const buf = Buffer.allocUnsafe(CHUNK);
      const n = readSync(fd, buf, 0, CHUNK, null);
      if (n === 0) break;
      if (stage !== 'read') splitter.push(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  if (stage !== 'read') splitter.end();
  adapter?.finish();
  return { lines, events, warnings, adapterStats: adapter?.stats() };
}

function main(): number {
  const { values, positionals } = parseArgs({ args: process.argv.slice(2), options: { stage: { type: 'string' } }, allowPositionals: true });
  const stage = values.stage as Stage;
  const file = positionals[0];
  if (!STAGES.includes(stage) || file === undefined) {
    process.stderr.write(`usage: node dist/bench/stages/pipeline-stages.js --stage ${STAGES.join('|')} FILE\n`);
    return 2;
  }
  const started = process.hrtime.bigint();
  const counts = run(stage, file);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(JSON.stringify({ stage, ...counts, seconds }) + '\n');
  return 0;
}

process.exitCode = main();
