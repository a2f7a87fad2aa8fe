/**
 * Synthetic auditd log generator for scale benchmarks (never for correctness tests: those
 * use real captures in samples/). Deterministic: same options and seed, same bytes.
 *
 *   node dist/bench/generate-audit-log.js --out bench/data/synth --size-mb 1024 --format raw
 *
 * Prints a JSON summary (files, bytes, lines, what was simulated) on stdout.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ARCHES } from './synth/arch-table.js';
import { AuditRecordFormat } from './synth/audit-record-format.js';
import { DEFAULT_OPTIONS, parseGeneratorArgs, USAGE } from './synth/generator-options.js';
import type { GeneratorOptions } from './synth/generator-options.js';
import { RotatingLogWriter } from './synth/rotating-log-writer.js';
import type { WrittenFile } from './synth/rotating-log-writer.js';
import { SeededRandom } from './synth/seeded-random.js';
import { SimulatedHost } from './synth/simulated-host.js';
import type { HostCounts } from './synth/simulated-host.js';

/** Bump when the generator's output changes for the same options: cached bench logs are regenerated. */
export const GENERATOR_VERSION = 3;

export type { GeneratorOptions } from './synth/generator-options.js';
export { DEFAULT_OPTIONS } from './synth/generator-options.js';

export interface GeneratorSummary {
  options: GeneratorOptions;
  /** Oldest first: the order a consumer must read them in. */
  files: WrittenFile[];
  bytes: number;
  lines: number;
  events: number;
  /** Per host, what the simulation did (processes created, execs, exits...). */
  hosts: { node: string | undefined; arch: string; counts: HostCounts; firstTimeS: number; lastTimeS: number }[];
  seconds: number;
  /** Path of the probes file written beside the log. */
  probesFile: string;
}

/** A moment in the simulation: what /proc showed for one pid. */
export interface Probe {
  host: string | undefined;
  pid: number;
  /** Epoch ns (decimal string); no record in the log shares this millisecond's end. */
  atNs: string;
  /** Self first, up to init (pid 1): the kernel parent chain at atNs. */
  chain: number[];
  comm: string;
}

export const PROBES_FILE = 'probes.json';
const PROBES_NOTE =
  'Ground truth of the simulation (what /proc would have shown). A log consumer can differ where the log lacks evidence: processes killed without an exit record, pre-existing processes.';

const STAMP_RE = /msg=audit\(([^)]*)\)/;

/** Writes the log described by `options`; returns what was written. */
export function generateAuditLog(partial: Partial<GeneratorOptions> & { out: string }): GeneratorSummary {
  const options: GeneratorOptions = { ...DEFAULT_OPTIONS, ...partial };
  const started = process.hrtime.bigint();
  const rng = new SeededRandom(options.seed);
  const writer = new RotatingLogWriter(options.out, options.rotateBytes);
  const arrange = new EventArranger(rng, writer, options);
  const useNode = options.node || options.hosts > 1;
  const hosts: { host: SimulatedHost; node: string | undefined; arch: string; firstMs: number }[] = [];
  for (let i = 0; i < options.hosts; i++) {
    const node = useNode ? `host-${i + 1}` : undefined;
    const archName = options.arches[i % options.arches.length] ?? 'x86_64';
    const host = new SimulatedHost(rng, new AuditRecordFormat(options.format, node), options, ARCHES[archName], (lines) => arrange.push(lines));
    hosts.push({ host, node, arch: archName, firstMs: host.clockMs });
  }
  // Reservoir sampling (algorithm R) of ground-truth probes over all steps: the log size
  // decides the step count, which is not known in advance.
  const probes: Probe[] = [];
  let steps = 0;
  const created = (): number => hosts.reduce((n, h) => n + h.host.counts.processes, 0);
  while (writer.totalBytes < options.sizeBytes && (options.maxProcesses === 0 || (steps & 1023) !== 0 || created() < options.maxProcesses)) {
    // Hosts advance in time order, as an aggregated multi-host stream would carry them.
    let next = hosts[0]!;
    for (const h of hosts) if (h.host.clockMs < next.host.clockMs) next = h;
    next.host.step();
    steps++;
    if (options.probes > 0 && steps > 200) {
      const slot = probes.length < options.probes ? probes.length : rng.int(steps);
      if (slot < options.probes) probes[slot] = { host: next.node, ...next.host.probe() };
    }
  }
  arrange.finish();
  const files = writer.close();
  probes.sort((a, b) => (BigInt(a.atNs) < BigInt(b.atNs) ? -1 : 1));
  writeFileSync(join(options.out, PROBES_FILE), JSON.stringify({ note: PROBES_NOTE, probes }) + '\n');
  return {
    options,
    files,
    bytes: writer.totalBytes,
    lines: writer.totalLines,
    events: arrange.events,
    hosts: hosts.map((h) => ({ node: h.node, arch: h.arch, counts: h.host.counts, firstTimeS: h.firstMs / 1000, lastTimeS: h.host.clockMs / 1000 })),
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
    probesFile: join(options.out, PROBES_FILE),
  };
}

/**
 * The disorder real logs have between the simulator and the file: records of one event
 * written out of order, two events' records interleaved, and optional EOE records.
 */
class EventArranger {
  events = 0;
  private held: string[] | undefined;

  constructor(private readonly rng: SeededRandom, private readonly writer: RotatingLogWriter, private readonly options: GeneratorOptions) {}

  push(lines: string[]): void {
    this.events++;
    if (this.options.eoe && lines.length > 1) {
      const stamp = STAMP_RE.exec(lines[0] ?? '')?.[1];
      const prefix = lines[0]?.startsWith('node=') ? lines[0].slice(0, lines[0].indexOf(' ') + 1) : '';
      if (stamp !== undefined) lines.push(`${prefix}type=EOE msg=audit(${stamp}):`);
    }
    if (lines.length > 1 && this.rng.chance(this.options.reorderShare)) shuffle(this.rng, lines);
    if (this.held !== undefined) {
      const merged: string[] = [];
      const a = this.held;
      for (let i = 0; i < Math.max(a.length, lines.length); i++) {
        if (i < a.length) merged.push(a[i] as string);
        if (i < lines.length) merged.push(lines[i] as string);
      }
      this.held = undefined;
      this.writer.writeEvent(merged);
      return;
    }
    if (lines.length > 1 && this.rng.chance(this.options.interleaveShare)) {
      this.held = lines;
      return;
    }
    this.writer.writeEvent(lines);
  }

  finish(): void {
    if (this.held !== undefined) this.writer.writeEvent(this.held);
    this.held = undefined;
  }
}

function shuffle(rng: SeededRandom, items: string[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = items[i] as string;
    items[i] = items[j] as string;
    items[j] = t;
  }
}

function main(): number {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  let options: GeneratorOptions;
  try {
    options = parseGeneratorArgs(args);
  } catch (error) {
    process.stderr.write(`generate-audit-log: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const summary = generateAuditLog(options);
  process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  process.stderr.write(
    `generate-audit-log: ${summary.lines} lines, ${(summary.bytes / 1048576).toFixed(1)} MiB in ${summary.files.length} file(s) under ${options.out} ` +
      `(${summary.seconds.toFixed(1)} s, ${(summary.bytes / 1048576 / summary.seconds).toFixed(0)} MiB/s)\n`,
  );
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = main();
