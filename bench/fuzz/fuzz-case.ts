import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SeededRandom } from '../synth/seeded-random.js';
import { AUDITD_MUTATIONS } from './auditd-mutations.js';
import { CONNECTOR_MUTATIONS } from './connector-mutations.js';
import type { FuzzSamples } from './fuzz-samples.js';

export type FuzzTarget = 'auditd' | 'proc-connector';

/** Every (target, mutation) pair, in the order cases cycle through them. */
export const FUZZ_KINDS: readonly { target: FuzzTarget; kind: string }[] = [
  ...Object.keys(AUDITD_MUTATIONS).map((kind) => ({ target: 'auditd' as const, kind })),
  ...Object.keys(CONNECTOR_MUTATIONS).map((kind) => ({ target: 'proc-connector' as const, kind })),
];

/** A position the CLI's summary must name: the damage the mutation is known to have made. */
export interface ExpectedPosition {
  file: string;
  line?: number;
  offset?: number;
}

/** One mutated input written to disk, and how to ingest it. */
export interface FuzzCase {
  index: number;
  target: FuzzTarget;
  kind: string;
  sample: string;
  /** The mutated file (for auditd: one file of the logs directory). */
  file: string;
  detail: string;
  /** `proc-tree ingest` arguments after `--db FILE --json`. */
  ingestArgs: string[];
  expect?: ExpectedPosition;
  /** Mutated bytes written, for the notes. */
  bytes: number;
}

export interface CaseOptions {
  /** Length of the line `long line` inserts. */
  longLineBytes: number;
}

/** The seed of case `index` of a run: every case can be replayed alone (`--only-case`). */
export function caseSeed(seed: number, index: number): number {
  return (Math.imul(seed >>> 0, 0x9e3779b1) + Math.imul(index + 1, 0x85ebca6b)) >>> 0;
}

/**
 * Case `index` of the run with `seed`: its (target, mutation) by cycling through FUZZ_KINDS,
 * its sample and mutation by its own seed; written under `dir`.
 */
export function makeFuzzCase(samples: FuzzSamples, seed: number, index: number, dir: string, o: CaseOptions): FuzzCase {
  const { target, kind } = FUZZ_KINDS[index % FUZZ_KINDS.length]!;
  const rng = new SeededRandom(caseSeed(seed, index));
  mkdirSync(dir, { recursive: true });
  if (target === 'auditd') {
    const sample = rng.pick(samples.auditd);
    const victim = rng.pick(sample.files);
    const logs = join(dir, 'logs');
    mkdirSync(logs);
    const m = AUDITD_MUTATIONS[kind]!(victim.bytes, rng, o);
    for (const f of sample.files) writeFileSync(join(logs, f.name), f === victim ? m.bytes : f.bytes);
    const file = join(logs, victim.name);
    const c: FuzzCase = { index, target, kind, sample: sample.name, file, detail: `${victim.name}: ${m.detail}`, ingestArgs: [logs], bytes: m.bytes.length };
    if (m.expect) c.expect = { file, line: m.expect.line };
    return c;
  }
  const sample = rng.pick(samples.connector);
  const m = CONNECTOR_MUTATIONS[kind]!(sample.cap, sample.sidecars, rng);
  const cap = join(dir, sample.name);
  writeFileSync(cap, m.cap);
  for (const [suffix, bytes] of m.sidecars) writeFileSync(cap + suffix, bytes);
  // Half the cases let ingest sniff the format (a damaged first message may not look like a capture).
  const format = rng.chance(0.5) ? ['--format', 'proc-connector'] : [];
  const c: FuzzCase = { index, target, kind, sample: sample.name, file: cap, detail: m.detail, ingestArgs: [...format, cap], bytes: m.cap.length };
  if (m.expect) {
    c.expect = { file: cap + m.expect.sidecar };
    if (m.expect.line !== undefined) c.expect.line = m.expect.line;
    if (m.expect.offset !== undefined) c.expect.offset = m.expect.offset;
  }
  return c;
}
