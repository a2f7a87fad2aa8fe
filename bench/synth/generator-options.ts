import { parseArgs } from 'node:util';
import type { LogFormat } from './audit-record-format.js';
import type { ArchName } from './arch-table.js';

/** Everything that shapes a synthetic log. Same options + same seed = same bytes. */
export interface GeneratorOptions {
  /** Output directory: audit.log (newest), audit.log.1, ... (older), like auditd rotation. */
  out: string;
  format: LogFormat;
  seed: number;
  /** Stop after this many bytes (the last event is completed). */
  sizeBytes: number;
  /** Also stop once this many processes were created (all hosts); 0 = no limit. */
  maxProcesses: number;
  /** Rotate into a new file every this many bytes; 0 = one file. */
  rotateBytes: number;
  /** Number of hosts; more than one writes `node=host-N` prefixes and interleaves hosts. */
  hosts: number;
  /** Write `node=` even with one host. */
  node: boolean;
  /** Architecture of each host, assigned round robin (x86_64,aarch64 = every other host aarch64). */
  arches: ArchName[];
  /** Processes started per simulated second per host (sets the timestamps' pace). */
  rate: number;
  /** Live processes each host keeps around (spawns and exits balance around it). */
  live: number;
  /** Maximum depth of a process below its pre-existing root. */
  maxDepth: number;
  /** Kernel pid_max of each host: small values force pid reuse. */
  pidMax: number;
  /** Share of lifecycle actions of a threaded program that create or end a thread. */
  threadShare: number;
  /** Share of execs that start a 32-bit program (x86_64 hosts only). */
  i386Share: number;
  /** Share of execs with a long argument list or a huge argument (EXECVE chunks). */
  longArgsShare: number;
  /** Non-process events (USER_*, AVC, SERVICE_*, file watches) per process-lifecycle event. */
  noiseShare: number;
  /** Share of execs preceded by failed attempts (PATH search: success=no exit=-2). */
  failedExecShare: number;
  /** Share of processes that die by a signal: no exit record at all. */
  killedShare: number;
  /** Share of forks whose child's exec is logged before the parent's clone returns. */
  childFirstShare: number;
  /** Share of events whose records are written in shuffled order. */
  reorderShare: number;
  /** Share of events whose records are interleaved with the next event's. */
  interleaveShare: number;
  /** Write EOE records (auditd does not write them to disk; some shippers do). */
  eoe: boolean;
  /** First timestamp, epoch seconds. */
  startEpochS: number;
  /** Ground-truth probes to sample (pid + time + /proc-style chain), for query benchmarks. */
  probes: number;
}

export const DEFAULT_OPTIONS: Omit<GeneratorOptions, 'out'> = {
  format: 'enriched',
  seed: 1,
  sizeBytes: 64 * 1024 * 1024,
  maxProcesses: 0,
  rotateBytes: 0,
  hosts: 1,
  node: false,
  arches: ['x86_64'],
  rate: 200,
  live: 400,
  maxDepth: 12,
  pidMax: 32768,
  threadShare: 0.3,
  i386Share: 0.01,
  longArgsShare: 0.01,
  noiseShare: 0.25,
  failedExecShare: 0.1,
  killedShare: 0.03,
  childFirstShare: 0.05,
  reorderShare: 0.01,
  interleaveShare: 0.01,
  eoe: false,
  startEpochS: 1764000000,
  probes: 500,
};

export const USAGE = `usage: node dist/bench/generate-audit-log.js --out DIR [options]

Writes a deterministic synthetic auditd log (process lifecycle + noise) to DIR/audit.log
(and DIR/audit.log.1 ... older, with --rotate-mb). Streams: memory stays bounded at any size.

  --out DIR            output directory (created)
  --format F           enriched | raw                              [enriched]
  --size-mb N          stop after N MiB in total (decimals ok)     [64]
  --processes N        also stop after N processes were created    [no limit]
  --rotate-mb N        start a new file every N MiB; 0 = one file  [0]
  --seed N             PRNG seed                                   [1]
  --hosts N            hosts interleaved in one stream (node=host-N prefixes) [1]
  --node               write node= prefixes even with one host
  --arches A,B         arch per host, round robin: x86_64,aarch64  [x86_64]
  --rate N             processes per simulated second per host     [200]
  --live N             live processes per host                     [400]
  --max-depth N        maximum tree depth                          [12]
  --pid-max N          pid_max per host (small = pid reuse)        [32768]
  --thread-share P     thread create/exit share in threaded programs [0.3]
  --i386-share P       32-bit program execs                        [0.01]
  --long-args-share P  execs with long argv / huge argument         [0.01]
  --noise-share P      non-process events per lifecycle event      [0.25]
  --failed-exec-share P  execs preceded by ENOENT attempts         [0.1]
  --killed-share P     processes killed without an exit record     [0.03]
  --child-first-share P  child exec logged before the parent's clone [0.05]
  --reorder-share P    events with shuffled record order           [0.01]
  --interleave-share P events interleaved with the next one        [0.01]
  --eoe                write EOE records
  --start S            first timestamp, epoch seconds              [1764000000]
  --probes N           ground-truth (pid, time, chain) samples in the summary [500]
`;

/** Parses CLI arguments; throws an Error with a one-line message on a bad value. */
export function parseGeneratorArgs(args: string[]): GeneratorOptions {
  const { values } = parseArgs({
    args,
    options: {
      out: { type: 'string' },
      format: { type: 'string' },
      'size-mb': { type: 'string' },
      processes: { type: 'string' },
      'rotate-mb': { type: 'string' },
      seed: { type: 'string' },
      hosts: { type: 'string' },
      node: { type: 'boolean' },
      arches: { type: 'string' },
      rate: { type: 'string' },
      live: { type: 'string' },
      'max-depth': { type: 'string' },
      'pid-max': { type: 'string' },
      'thread-share': { type: 'string' },
      'i386-share': { type: 'string' },
      'long-args-share': { type: 'string' },
      'noise-share': { type: 'string' },
      'failed-exec-share': { type: 'string' },
      'killed-share': { type: 'string' },
      'child-first-share': { type: 'string' },
      'reorder-share': { type: 'string' },
      'interleave-share': { type: 'string' },
      eoe: { type: 'boolean' },
      start: { type: 'string' },
      probes: { type: 'string' },
    },
    strict: true,
  });
  if (values.out === undefined) throw new Error('--out DIR is required');
  const d = DEFAULT_OPTIONS;
  const num = (name: string, raw: string | undefined, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} must be a number in [${min}, ${max}], got '${raw}'`);
    return n;
  };
  const share = (name: string, raw: string | undefined, fallback: number): number => num(name, raw, fallback, 0, 1);
  const format = values.format ?? d.format;
  if (format !== 'enriched' && format !== 'raw') throw new Error(`--format must be enriched or raw, got '${format}'`);
  const arches = values.arches === undefined ? d.arches : values.arches.split(',');
  for (const a of arches) if (a !== 'x86_64' && a !== 'aarch64' && a !== 'i386') throw new Error(`--arches: unknown arch '${a}' (x86_64, aarch64, i386)`);
  return {
    out: values.out,
    format,
    seed: num('seed', values.seed, d.seed, 0, 2 ** 32 - 1),
    sizeBytes: Math.round(num('size-mb', values['size-mb'], d.sizeBytes / 1048576, 0.001) * 1048576),
    maxProcesses: num('processes', values.processes, 0, 0),
    rotateBytes: Math.round(num('rotate-mb', values['rotate-mb'], 0, 0) * 1048576),
    hosts: num('hosts', values.hosts, d.hosts, 1, 1000),
    node: values.node ?? false,
    arches: arches as ArchName[],
    rate: num('rate', values.rate, d.rate, 0.001),
    live: num('live', values.live, d.live, 10),
    maxDepth: num('max-depth', values['max-depth'], d.maxDepth, 1, 1000),
    pidMax: num('pid-max', values['pid-max'], d.pidMax, 400, 4194304),
    threadShare: share('thread-share', values['thread-share'], d.threadShare),
    i386Share: share('i386-share', values['i386-share'], d.i386Share),
    longArgsShare: share('long-args-share', values['long-args-share'], d.longArgsShare),
    noiseShare: num('noise-share', values['noise-share'], d.noiseShare, 0, 100),
    failedExecShare: share('failed-exec-share', values['failed-exec-share'], d.failedExecShare),
    killedShare: share('killed-share', values['killed-share'], d.killedShare),
    childFirstShare: share('child-first-share', values['child-first-share'], d.childFirstShare),
    reorderShare: share('reorder-share', values['reorder-share'], d.reorderShare),
    interleaveShare: share('interleave-share', values['interleave-share'], d.interleaveShare),
    eoe: values.eoe ?? false,
    startEpochS: num('start', values.start, d.startEpochS, 0),
    probes: num('probes', values.probes, d.probes, 0, 1_000_000),
  };
}
