/**
 * Loader for the ground truth of real captures (`*.truth.json`, format in samples/README.md)
 * and for the capture folders under samples/auditd/ that hold them.
 *
 * ns values are decimal strings in the files (epoch ns do not fit a double) and bigints
 * here. Tests of every stage import this, so it validates the shape and fails loudly with
 * the file name instead of letting a damaged fixture produce confusing test failures.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One process in a chain, as /proc/PID/stat showed it. */
export interface TruthChainEntry {
  pid: number;
  /** Field 4 of /proc/PID/stat at that moment (the kernel parent, not the creator). */
  ppid: number;
  /** Kernel task name (max 15 bytes), as in stat's field 2. */
  comm: string;
  /** Boot time + starttime ticks / CLK_TCK: 10 ms resolution. */
  startTimeNs: bigint;
}

/** The ancestry of one process read from /proc at one moment. */
export interface TruthProbe {
  /** Wall-clock ns when the chain had been read: every event it reflects happened before. */
  atNs: bigint;
  pid: number;
  /** Self first, up to pid 1 (or the first ancestor whose stat could not be read). */
  chain: TruthChainEntry[];
}

export interface Truth {
  scenario: string;
  capturedWith: string;
  host: string;
  bootTimeNs: bigint;
  clkTck: number;
  /** loginuid given to the workload root; every probed process carried it. */
  markerLoginuid: number;
  probeIntervalMs: number;
  /** The prober's own window: every probe lies inside it. */
  startedAtNs: bigint;
  endedAtNs: bigint;
  /** Longest time between two polls: a process that lived less may have no probe. */
  maxPollGapMs?: number;
  /** Sorted by atNs. */
  probes: TruthProbe[];
}

/** capture.json written by samples/tools/capture-auditd.sh beside each capture. */
export interface CaptureMeta {
  name: string;
  scenario: string;
  command: string;
  logFormat: 'RAW' | 'ENRICHED';
  nameFormat: string;
  /** `auid`: only the workload was audited; `none`: the whole machine. */
  filter: 'auid' | 'none';
  markerLoginuid: number;
  /** The workload's root process (the first process that carried the marker). */
  rootPid: number;
  rootExitStatus: number;
  /** Workload pids still alive 10 s after the root ended, killed by the harness ('' = none). */
  leftoversKilled?: string;
  pidMaxDuringCapture: number;
  startedAt: string;
  endedAt: string;
  kernel: string;
  auditd: string;
  host: string;
  logs: { file: string; bytes: number; lines: number }[];
}

/** A capture folder: its metadata, truth, and log files oldest first. */
export interface Capture {
  dir: string;
  meta: CaptureMeta;
  truth: Truth;
  /** Absolute paths, oldest first (audit.log.N ... audit.log.1, audit.log). */
  logFiles: string[];
  logDir: string;
}

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const auditdCapturesDir = join(repoRoot, 'samples', 'auditd');

function fail(file: string, what: string): never {
  throw new Error(`${file}: ${what} (recapture with samples/tools/capture-auditd.sh, see samples/auditd/README.md)`);
}

function nsField(file: string, value: unknown, where: string): bigint {
  if (typeof value !== 'string' || !/^\d+$/.test(value)) fail(file, `${where} must be a decimal string, got ${JSON.stringify(value)}`);
  return BigInt(value);
}

function intField(file: string, value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) fail(file, `${where} must be an integer, got ${JSON.stringify(value)}`);
  return value;
}

function parseEntry(file: string, raw: unknown, where: string): TruthChainEntry {
  const e = raw as Record<string, unknown>;
  if (typeof e?.comm !== 'string') fail(file, `${where}.comm must be a string`);
  return {
    pid: intField(file, e.pid, `${where}.pid`),
    ppid: intField(file, e.ppid, `${where}.ppid`),
    comm: e.comm,
    startTimeNs: nsField(file, e.startTimeNs, `${where}.startTimeNs`),
  };
}

/** Parses the text of a `*.truth.json`; `file` only names it in error messages. */
export function parseTruth(text: string, file = '<truth>'): Truth {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    fail(file, `not JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(raw.probes)) fail(file, 'probes must be an array');
  const probes = raw.probes.map((p: Record<string, unknown>, i: number): TruthProbe => {
    const where = `probes[${i}]`;
    if (!Array.isArray(p.chain) || p.chain.length === 0) fail(file, `${where}.chain must be a non-empty array`);
    const probe = {
      atNs: nsField(file, p.atNs, `${where}.atNs`),
      pid: intField(file, p.pid, `${where}.pid`),
      chain: p.chain.map((e: unknown, j: number) => parseEntry(file, e, `${where}.chain[${j}]`)),
    };
    if (probe.chain[0]!.pid !== probe.pid) fail(file, `${where}: chain does not start with the probed pid`);
    return probe;
  });
  return {
    scenario: String(raw.scenario ?? ''),
    capturedWith: String(raw.capturedWith ?? ''),
    host: String(raw.host ?? ''),
    bootTimeNs: nsField(file, raw.bootTimeNs, 'bootTimeNs'),
    clkTck: intField(file, raw.clkTck ?? 100, 'clkTck'),
    markerLoginuid: intField(file, raw.markerLoginuid, 'markerLoginuid'),
    probeIntervalMs: Number(raw.probeIntervalMs ?? 0),
    startedAtNs: nsField(file, raw.startedAtNs, 'startedAtNs'),
    endedAtNs: nsField(file, raw.endedAtNs, 'endedAtNs'),
    ...(typeof raw.maxPollGapMs === 'number' ? { maxPollGapMs: raw.maxPollGapMs } : {}),
    probes: probes.sort((a, b) => (a.atNs < b.atNs ? -1 : a.atNs > b.atNs ? 1 : 0)),
  };
}

export function loadTruth(file: string): Truth {
  return parseTruth(readFileSync(file, 'utf8'), file);
}

/** Rotation suffix: audit.log -> 0, audit.log.3 -> 3. */
function rotationIndex(name: string): number {
  const m = /\.(\d+)$/.exec(name);
  return m ? Number(m[1]) : 0;
}

/** Loads one capture folder (samples/auditd/NAME). */
export function loadCapture(dir: string): Capture {
  const metaFile = join(dir, 'capture.json');
  const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as CaptureMeta;
  const truthName = readdirSync(dir).find((n) => n.endsWith('.truth.json'));
  if (!truthName) fail(dir, 'no *.truth.json');
  const logDir = join(dir, 'logs');
  const logFiles = readdirSync(logDir)
    .filter((n) => /^audit\.log(\.\d+)?$/.test(n))
    .sort((a, b) => rotationIndex(b) - rotationIndex(a))
    .map((n) => join(logDir, n));
  if (logFiles.length === 0) fail(logDir, 'no audit.log files');
  return { dir, meta, truth: loadTruth(join(dir, truthName)), logFiles, logDir };
}

/** Every capture folder under samples/auditd/, by name. */
export function listAuditdCaptures(root = auditdCapturesDir): Capture[] {
  return readdirSync(root)
    .filter((n) => statSync(join(root, n)).isDirectory())
    .sort()
    .map((n) => loadCapture(join(root, n)));
}
