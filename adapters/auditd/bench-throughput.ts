/**
 * Throughput of the auditd adapter (split + parse + reassemble + convert) on one core.
 * Not a test: prints figures. Usage:
 *   node dist/adapters/auditd/bench-throughput.js SOURCE_LOG... [--lines N] [--out FILE]
 * Builds FILE (default /tmp/proc-tree-auditd-bench.log) of about N lines (default 1.5 M) by
 * repeating the source logs' record lines with events renumbered (serials and times rise
 * as in a real log, copies are distinct events), then times:
 *   1. the byte line splitter alone, 2. split2 alone (for comparison), 3. the whole adapter.
 */
import { createReadStream, readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import split2 from 'split2';
import { createLineSplitter } from '../../src/sources/line-splitter.js';
import { createAuditdAdapter } from './auditd-adapter.js';

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : undefined;
};
const targetLines = Number(option('--lines') ?? 1_500_000);
const out = option('--out') ?? '/tmp/proc-tree-auditd-bench.log';
const sources = args;
if (sources.length === 0) {
  console.error('usage: bench-throughput SOURCE_LOG... [--lines N] [--out FILE]');
  process.exit(2);
}

const HEADER = /msg=audit\((\d+)\.(\d+):(\d+)\)/;
const template = sources.flatMap((path) =>
  readFileSync(path, 'latin1')
    .split('\n')
    .filter((line) => HEADER.test(line)),
);
const copies = Math.ceil(targetLines / template.length);
// Renumber events so serials and times rise as in a real log (one serial per event, in
// template order, continuing across copies); a record keeps its event's new number.
let counter = 0;
const parts: string[] = [];
for (let copy = 0; copy < copies; copy++) {
  const renumbered = new Map<string, number>();
  parts.push(
    template
      .map((line) =>
        // auditd's own DAEMON_* records use auditd's counter, not the kernel's: renumbering
        // them would open holes in the kernel sequence that the real log does not have.
        / type=DAEMON_|^type=DAEMON_/.test(line) ? line : line.replace(HEADER, (_m, sec, ms, serial) => {
          const key = `${sec}.${ms}:${serial}`;
          let n = renumbered.get(key);
          if (n === undefined) {
            n = ++counter;
            renumbered.set(key, n);
          }
          return `msg=audit(${1_700_000_000 + Math.floor(n / 1000)}.${String(n % 1000).padStart(3, '0')}:${n})`;
        }),
      )
      .join('\n'),
  );
}
writeFileSync(out, parts.join('\n') + '\n', 'latin1');
const bytes = readFileSync(out).length;
const lines = copies * template.length;
console.log(`input: ${out}, ${lines} lines, ${(bytes / 1e6).toFixed(1)} MB (${template.length} template lines x ${copies})`);

// skipOverflow exists in split2 4.x but not in @types/split2.
const SPLIT2_OPTIONS = { maxLength: 1 << 20, skipOverflow: true } as import('split2').Options;

async function time(label: string, run: () => Promise<number>): Promise<void> {
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  const count = await run();
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  // CPU seconds too: on a shared machine wall time mostly measures the other tenants.
  console.log(
    `${label}: ${count} lines in ${seconds.toFixed(2)} s wall = ${Math.round(count / seconds).toLocaleString('en')} lines/s; ` +
      `${cpuSeconds.toFixed(2)} s CPU = ${Math.round(count / cpuSeconds).toLocaleString('en')} lines/CPU-s, ${(bytes / 1e6 / cpuSeconds).toFixed(0)} MB/CPU-s`,
  );
}

await time('byte line splitter', async () => {
  let n = 0;
  const splitter = createLineSplitter({ file: out, startLine: 1, onLine: () => void n++, onSkip: () => undefined });
  for await (const chunk of createReadStream(out, { highWaterMark: 256 * 1024 })) splitter.push(chunk as Buffer);
  splitter.end();
  return n;
});

await time('split2 (strings only, no offsets)', async () => {
  let n = 0;
  const stream = createReadStream(out, { highWaterMark: 256 * 1024 }).pipe(split2('\n', SPLIT2_OPTIONS));
  for await (const _line of stream) n++;
  return n;
});

await time('split2 + Buffer.byteLength per line (offsets)', async () => {
  let n = 0;
  let offset = 0;
  const stream = createReadStream(out, { highWaterMark: 256 * 1024 }).pipe(split2('\n', SPLIT2_OPTIONS));
  for await (const line of stream) {
    offset += Buffer.byteLength(line as string) + 1;
    n++;
  }
  return offset > 0 ? n : 0;
});

let events = 0;
await time('whole adapter (splitter + parse + reassemble + ProcEvents)', async () => {
  const adapter = createAuditdAdapter({ onEvent: () => void events++, onWarning: () => undefined });
  const splitter = createLineSplitter({
    file: out,
    startLine: 1,
    onLine: (text, offset, line) => adapter.pushLine(text, { file: out, offset, line: line! }),
    onSkip: (w) => adapter.skipLine(w),
  });
  for await (const chunk of createReadStream(out, { highWaterMark: 256 * 1024 })) splitter.push(chunk as Buffer);
  splitter.end();
  adapter.finish();
  const stats = adapter.stats();
  console.log(`  events ${JSON.stringify(stats.events)}, skipped ${JSON.stringify(stats.skipped)}`);
  return stats.lines;
});
