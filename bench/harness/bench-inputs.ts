import { createReadStream, createWriteStream, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { GENERATOR_VERSION, generateAuditLog } from '../generate-audit-log.js';
import type { GeneratorOptions, GeneratorSummary } from '../generate-audit-log.js';

/** One log file every tool in a comparison reads, byte for byte the same. */
export interface BenchInput {
  label: string;
  file: string;
  bytes: number;
  lines: number;
  /** How it was made (generator options, or the real log's RECORDED.txt). */
  origin: unknown;
  /** For generated logs: what the simulation did, summed over hosts (the adapter's totals should match). */
  truth?: Record<string, number>;
}

function truthOf(summary: GeneratorSummary): Record<string, number> {
  const total: Record<string, number> = {};
  for (const h of summary.hosts) for (const [k, v] of Object.entries(h.counts)) total[k] = (total[k] ?? 0) + v;
  return total;
}

const SUMMARY_FILE = 'summary.json';

/**
 * A synthetic log in bench/data/NAME, generated once and reused while its options are the
 * same (generation of a GB takes a while and is not what we measure).
 */
export function syntheticInput(dataDir: string, name: string, label: string, options: Omit<Partial<GeneratorOptions>, 'out'>, log: (s: string) => void): BenchInput & { summary: GeneratorSummary } {
  const out = join(dataDir, name);
  const wanted = JSON.stringify({ ...options, out, generator: GENERATOR_VERSION });
  const summaryPath = join(out, SUMMARY_FILE);
  if (existsSync(summaryPath)) {
    const cached = JSON.parse(readFileSync(summaryPath, 'utf8')) as GeneratorSummary & { request: string };
    if (cached.request === wanted && cached.files.every((f) => existsSync(f.path) && statSync(f.path).size === f.bytes)) {
      return { label, file: singleFile(cached), bytes: cached.bytes, lines: cached.lines, origin: cached.options, truth: truthOf(cached), summary: cached };
    }
  }
  const size = options.maxProcesses ? `${options.maxProcesses} processes` : `${((options.sizeBytes ?? 0) / 1048576).toFixed(0)} MiB`;
  log(`generating ${label} (${size}) in ${out} ...`);
  const summary = generateAuditLog({ ...options, out });
  writeFileSync(summaryPath, JSON.stringify({ ...summary, request: wanted }, null, 1) + '\n');
  log(`  ${summary.lines} lines in ${summary.seconds.toFixed(1)} s`);
  return { label, file: singleFile(summary), bytes: summary.bytes, lines: summary.lines, origin: summary.options, truth: truthOf(summary), summary };
}

function singleFile(summary: GeneratorSummary): string {
  if (summary.files.length !== 1) throw new Error('bench inputs are generated without rotation (one file every tool reads)');
  return (summary.files[0] as { path: string }).path;
}

/**
 * The real log recorded by bench/record-real-audit-log.sh into DIR, if there is one. Rotated
 * parts are joined oldest first into DIR/combined.log so every tool reads one file.
 */
export async function realInput(dir: string, label: string): Promise<BenchInput | undefined> {
  if (!existsSync(join(dir, 'audit.log'))) return undefined;
  const parts = readdirSync(dir)
    .filter((n) => /^audit\.log(\.\d+)?$/.test(n))
    .sort((a, b) => generation(b) - generation(a))
    .map((n) => join(dir, n));
  let file = parts[0] as string;
  if (parts.length > 1) {
    file = join(dir, 'combined.log');
    const out = createWriteStream(file);
    // Written by hand: pipeline(..., { end: false }) into one stream leaves its listeners on
    // `out` per part (MaxListenersExceededWarning at the sixth part).
    for (const part of parts) {
      for await (const chunk of createReadStream(part, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
        if (!out.write(chunk)) await once(out, 'drain');
      }
    }
    await new Promise<void>((resolve) => out.end(resolve));
  }
  const recorded = join(dir, 'RECORDED.txt');
  return {
    label,
    file,
    bytes: statSync(file).size,
    lines: await countLines(file),
    origin: existsSync(recorded) ? readFileSync(recorded, 'utf8') : 'no RECORDED.txt',
  };
}

function generation(name: string): number {
  const m = /\.(\d+)$/.exec(name);
  return m ? Number(m[1]) : 0;
}

async function countLines(file: string): Promise<number> {
  let n = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) n++;
  }
  return n;
}
