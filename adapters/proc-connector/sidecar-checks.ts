import type { ProcessImage } from '../../src/events/proc-event.js';
import type { ProcSnapshot, SnapshotProcess } from './proc-snapshot.js';

/**
 * Shape checks for the JSON sidecars of a capture (FILE.snapshot.json, FILE.live.ndjson).
 * They are evidence files that travel with the capture and can be damaged like it (a cut
 * copy, a bit flip that still parses as JSON); a value of the wrong type must become a
 * counted warning, not a TypeError deep in the translator (`BigInt(undefined)` was one:
 * found by `npm run fuzz`). Each returns why the value is unusable, or undefined.
 */

const DECIMAL = /^-?\d+$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isPid = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0x7fffffff;
const isId = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 0;
const optional = (v: unknown, ok: (v: unknown) => boolean): boolean => v === undefined || ok(v);
const isString = (v: unknown): v is string => typeof v === 'string';
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);

/** Why one process entry of a snapshot is unusable, or undefined. */
export function snapshotProcessProblem(p: unknown): string | undefined {
  if (!isObject(p)) return 'a process entry is not an object';
  if (!isPid(p.pid) || !isPid(p.ppid)) return `process entry with pid ${String(p.pid)}, ppid ${String(p.ppid)}: not pids`;
  if (!isString(p.startTimeNs) || !DECIMAL.test(p.startTimeNs)) return `process ${p.pid}: startTimeNs is not a decimal string`;
  if (!isString(p.comm)) return `process ${p.pid}: comm is not a string`;
  if (!optional(p.exe, isString) || !optional(p.argv, isStrings)) return `process ${p.pid}: exe or argv of the wrong type`;
  if (!optional(p.uid, isId) || !optional(p.euid, isId)) return `process ${p.pid}: uid or euid is not a number`;
  return undefined;
}

/**
 * A snapshot with only its usable process entries (the others are listed in `dropped`),
 * or why none of it can be used.
 */
export function checkSnapshot(value: unknown): { snapshot: ProcSnapshot; dropped: string[] } | { problem: string } {
  if (!isObject(value)) return { problem: 'not a JSON object' };
  if (!isString(value.takenAtNs) || !DECIMAL.test(value.takenAtNs)) return { problem: 'takenAtNs is not a decimal string' };
  if (!Array.isArray(value.processes)) return { problem: 'processes is not an array' };
  const processes: SnapshotProcess[] = [];
  const dropped: string[] = [];
  for (const p of value.processes as unknown[]) {
    const problem = snapshotProcessProblem(p);
    if (problem === undefined) processes.push(p as SnapshotProcess);
    else dropped.push(problem);
  }
  return { snapshot: { takenAtNs: value.takenAtNs, processes }, dropped };
}

function imageProblem(image: unknown): string | undefined {
  if (!isObject(image)) return 'image is not an object';
  const i = image as Record<keyof ProcessImage, unknown>;
  if (!optional(i.exe, isString) || !optional(i.argv, isStrings) || !optional(i.comm, isString) || !optional(i.cwd, isString)) return 'image field of the wrong type';
  return undefined;
}

/** Why a parsed live.ndjson line is not a usable LiveRecord, or undefined. */
export function liveRecordProblem(r: unknown): string | undefined {
  if (!isObject(r)) return 'not a JSON object';
  if (!(Number.isSafeInteger(r.offset) && (r.offset as number) >= 0)) return `${String(r.type)} record: offset is not a byte offset`;
  switch (r.type) {
    case 'exec':
      if (!isString(r.id) || !isPid(r.pid)) return 'exec record: id or pid of the wrong type';
      if (!optional(r.missed, isString)) return 'exec record: missed is not a string';
      return imageProblem(r.image);
    case 'reparent':
      if (!isString(r.id) || !isPid(r.pid) || !isPid(r.ppid) || !isString(r.how)) return 'reparent record: id, pid, ppid or how of the wrong type';
      return undefined;
    case 'loss':
      if (!isString(r.atNs) || !DECIMAL.test(r.atNs)) return 'loss record: atNs is not a decimal string';
      return undefined;
    case 'reseed': {
      const checked = checkSnapshot(r.snapshot);
      if ('problem' in checked) return `reseed record: snapshot ${checked.problem}`;
      return checked.dropped[0] === undefined ? undefined : `reseed record: ${checked.dropped[0]}`;
    }
    default:
      return `unknown record type ${JSON.stringify(r.type)?.slice(0, 40)}`;
  }
}

