import type { ChainRow } from './history-store.js';
import type { ImageKind, ImageRow, InstanceRow, LossRow, ParentKind, ParentRow, StoredEvidence } from './history-types.js';

/**
 * SQLite rows (read with safeIntegers, so every integer is a bigint) -> history types.
 * `fileOf` turns a sources.id into the path an investigator can open.
 */
type Raw = Record<string, unknown>;
export type FileOf = (sourceId: number) => string | undefined;

const num = (v: unknown): number | undefined => (v === null || v === undefined ? undefined : Number(v));
const big = (v: unknown): bigint | undefined => (v === null || v === undefined ? undefined : BigInt(v as bigint));
const str = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : String(v));

function evidence(r: Raw, fileOf: FileOf, src: string, off: string, line: string, rec: string): StoredEvidence | undefined {
  const e: StoredEvidence = {};
  const s = num(r[src]);
  if (s !== undefined) {
    const file = fileOf(s);
    if (file !== undefined) e.file = file;
  }
  const o = num(r[off]);
  if (o !== undefined) e.offset = o;
  const l = num(r[line]);
  if (l !== undefined) e.line = l;
  const id = str(r[rec]);
  if (id !== undefined) e.id = id;
  return Object.keys(e).length === 0 ? undefined : e;
}

function assign<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}

export function toInstance(r: Raw, host: string, fileOf: FileOf): InstanceRow {
  const row: InstanceRow = {
    id: Number(r.id),
    host,
    pid: Number(r.pid),
    startNs: BigInt(r.start_ns as bigint),
    startKnown: Number(r.start_known) === 1,
  };
  assign(row, 'endNs', big(r.end_ns));
  assign(row, 'endCertainty', str(r.end_certainty) as InstanceRow['endCertainty']);
  assign(row, 'endReason', str(r.end_reason));
  assign(row, 'exitCode', num(r.exit_code));
  assign(row, 'exitSignal', num(r.exit_signal));
  assign(row, 'creatorPid', num(r.creator_pid));
  assign(row, 'creatorId', num(r.creator_id));
  assign(row, 'startEvidence', evidence(r, fileOf, 'start_src', 'start_off', 'start_line', 'start_rec'));
  assign(row, 'endEvidence', evidence(r, fileOf, 'end_src', 'end_off', 'end_line', 'end_rec'));
  return row;
}

export function toParent(r: Raw, fileOf: FileOf): ParentRow {
  const row: ParentRow = {
    instanceId: Number(r.instance_id),
    sinceNs: BigInt(r.since_ns as bigint),
    ppid: Number(r.ppid),
    kind: String(r.kind) as ParentKind,
  };
  assign(row, 'parentId', num(r.parent_id));
  assign(row, 'evidence', evidence(r, fileOf, 'src', 'off', 'line', 'rec'));
  return row;
}

export function toImage(r: Raw, fileOf: FileOf): ImageRow {
  const row: ImageRow = { instanceId: Number(r.instance_id), sinceNs: BigInt(r.since_ns as bigint), kind: String(r.kind) as ImageKind };
  assign(row, 'exe', str(r.exe));
  const argv = str(r.argv);
  if (argv !== undefined) row.argv = JSON.parse(argv) as string[];
  if (num(r.argv_truncated) === 1) row.argvTruncated = true;
  assign(row, 'comm', str(r.comm));
  assign(row, 'cwd', str(r.cwd));
  assign(row, 'uid', num(r.uid));
  assign(row, 'euid', num(r.euid));
  assign(row, 'gid', num(r.gid));
  assign(row, 'auid', num(r.auid));
  assign(row, 'user', str(r.user));
  assign(row, 'euser', str(r.euser));
  assign(row, 'evidence', evidence(r, fileOf, 'src', 'off', 'line', 'rec'));
  return row;
}

export function toLoss(r: Raw, host: string, fileOf: FileOf): LossRow {
  const row: LossRow = { host, atNs: BigInt(r.at_ns as bigint), reason: String(r.reason) };
  assign(row, 'count', num(r.count));
  assign(row, 'evidence', evidence(r, fileOf, 'src', 'off', 'line', 'rec'));
  return row;
}

/**
 * A `chainAt` row (raw array, columns in the order of its SELECT) -> one chain link.
 * No evidence columns: the chain is read for its answer, not for its sources.
 */
export function toChainRow(r: unknown[], host: string): ChainRow {
  const inst: InstanceRow = { id: Number(r[1]), host, pid: Number(r[3]), startNs: BigInt(r[4] as bigint), startKnown: Number(r[5]) === 1 };
  assign(inst, 'endNs', big(r[6]));
  assign(inst, 'endCertainty', str(r[7]) as InstanceRow['endCertainty']);
  assign(inst, 'endReason', str(r[8]));
  assign(inst, 'exitCode', num(r[9]));
  assign(inst, 'exitSignal', num(r[10]));
  assign(inst, 'creatorPid', num(r[11]));
  assign(inst, 'creatorId', num(r[12]));
  const row: ChainRow = { instance: inst };
  if (r[13] !== null) {
    const parent: ParentRow = { instanceId: Number(r[13]), sinceNs: BigInt(r[14] as bigint), ppid: Number(r[15]), kind: String(r[17]) as ParentKind };
    assign(parent, 'parentId', num(r[16]));
    row.parent = parent;
  }
  const image = imageColumns(r, 18);
  if (image !== undefined) row.image = image;
  const inherited = imageColumns(r, 32);
  if (inherited !== undefined) row.creatorImage = inherited;
  return row;
}

/** 14 image columns from `at` on (instance_id first), as in `chainAt`'s SELECT. */
function imageColumns(r: unknown[], at: number): ImageRow | undefined {
  if (r[at] === null || r[at] === undefined) return undefined;
  const image: ImageRow = { instanceId: Number(r[at]), sinceNs: BigInt(r[at + 1] as bigint), kind: String(r[at + 2]) as ImageKind };
  assign(image, 'exe', str(r[at + 3]));
  const argv = str(r[at + 4]);
  if (argv !== undefined) image.argv = JSON.parse(argv) as string[];
  if (num(r[at + 5]) === 1) image.argvTruncated = true;
  assign(image, 'comm', str(r[at + 6]));
  assign(image, 'cwd', str(r[at + 7]));
  assign(image, 'uid', num(r[at + 8]));
  assign(image, 'euid', num(r[at + 9]));
  assign(image, 'gid', num(r[at + 10]));
  assign(image, 'auid', num(r[at + 11]));
  assign(image, 'user', str(r[at + 12]));
  assign(image, 'euser', str(r[at + 13]));
  return image;
}
