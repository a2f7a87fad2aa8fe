/**
 * What finding one audit event by id costs (explain EVENT_ID, report --event), and whether
 * the narrowed first pass finds the full read's own event, on a real log:
 *
 *   node dist/bench/find-event-bench.js [--samples N] INPUT...
 *
 * Reads the inputs in full twice (to count the SYSCALL events, then to keep the sampled
 * ones and every event whose records span two files: a rotation cut inside it), then times
 * findAuditEvent for each sample: the first, the last, evenly spaced ones between. The full
 * read's time is what findAuditEvent cost before the first pass existed. Exit 1 when a
 * sample differs from the full read's event.
 */
import { isDeepStrictEqual, parseArgs } from 'node:util';
import type { AssembledEvent } from '../adapters/auditd/reassemble.js';
import { auditEvents, newAuditEventStreamStats } from '../src/enrich/audit-event-stream.js';
import { findAuditEvent } from '../src/enrich/event-by-id.js';

const { values, positionals: inputs } = parseArgs({ allowPositionals: true, options: { samples: { type: 'string', default: '12' } } });
if (inputs.length === 0) {
  process.stderr.write('usage: node dist/bench/find-event-bench.js [--samples N] INPUT...\n');
  process.exit(2);
}

const fieldsOf = ({ node, id, sec, ms, serial, records, positions }: AssembledEvent) => ({ node, id, sec, ms, serial, records, positions });

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; wallMs: number; cpuMs: number }> {
  const wall = performance.now();
  const cpu = process.cpuUsage();
  const value = await run();
  const used = process.cpuUsage(cpu);
  return { value, wallMs: performance.now() - wall, cpuMs: (used.user + used.system) / 1000 };
}

const isSyscall = (e: AssembledEvent) => e.records[0]?.type === 'SYSCALL';
const spansFiles = (e: AssembledEvent) => new Set(e.positions.map((p) => p.file)).size > 1;

const counted = await timed(async () => {
  let n = 0;
  for await (const e of auditEvents(inputs, newAuditEventStreamStats())) if (isSyscall(e)) n++;
  return n;
});
const total = counted.value;
const wanted = new Set<number>();
const samples = Math.max(2, Number(values.samples));
for (let k = 0; k < samples; k++) wanted.add(Math.round((k * (total - 1)) / (samples - 1)));

const picked: { label: string; event: ReturnType<typeof fieldsOf> }[] = [];
let index = 0;
for await (const e of auditEvents(inputs, newAuditEventStreamStats())) {
  if (spansFiles(e)) picked.push({ label: 'spans a rotation', event: fieldsOf(e) });
  else if (isSyscall(e) && wanted.has(index)) picked.push({ label: `SYSCALL #${index}`, event: fieldsOf(e) });
  if (isSyscall(e)) index++;
}

process.stdout.write(`${inputs.join(' ')}: ${total} SYSCALL events; full read ${(counted.wallMs / 1000).toFixed(2)} s wall, ${(counted.cpuMs / 1000).toFixed(2)} CPU-s\n`);
process.stdout.write('event                         where                      wall ms   CPU ms  same\n');
let differ = 0;
for (const { label, event } of picked) {
  const r = await timed(() => findAuditEvent(inputs, event.id, event.node));
  const same = isDeepStrictEqual(fieldsOf(r.value), event);
  if (!same) differ++;
  const p = event.positions[0]!;
  const where = `${p.file.slice(p.file.lastIndexOf('/') + 1)}:${p.line ?? '?'}`;
  process.stdout.write(`${`${label} ${event.id}`.padEnd(30)}${where.padEnd(27)}${r.wallMs.toFixed(0).padStart(7)}${r.cpuMs.toFixed(0).padStart(9)}  ${same ? 'yes' : 'NO'}\n`);
}
process.exit(differ > 0 ? 1 : 0);
