import type { EndCertainty } from './history-types.js';
import type { InstanceEnd, NewInstance, WriteEvidence } from './history-writer.js';

/** Numeric columns of a held row, in one Float64Array (NaN = NULL). */
const HOST = 0;
const PID = 1;
const START_KNOWN = 2;
const CREATOR_PID = 3;
const CREATOR_ID = 4;
const START_SRC = 5;
const START_OFF = 6;
const START_LINE = 7;
const HAS_END = 8;
const EXIT_CODE = 9;
const EXIT_SIGNAL = 10;
const END_SRC = 11;
const END_OFF = 12;
const END_LINE = 13;
const NUMS = 14;
/** Text columns: start_rec, end_rec, end_certainty, end_reason. */
const START_REC = 0;
const END_REC = 1;
const CERTAINTY = 2;
const REASON = 3;
const STRS = 4;

const nn = (v: number | undefined): number => (v === undefined ? NaN : v);
/** A held number as a bound parameter: NaN is NULL. */
const sqlNum = (v: number): number | null => (v === v ? v : null);

/** One row as the `instances` INSERT binds it (column order of `INSERT_COLUMNS`). */
export type InstanceParams = (number | bigint | string | null)[];

/** Columns of the INSERT that `params` fills. */
export const INSERT_COLUMNS =
  'id, host_id, pid, start_ns, start_known, creator_pid, creator_id, start_src, start_off, start_line, start_rec, ' +
  'end_ns, end_certainty, end_reason, exit_code, exit_signal, end_src, end_off, end_line, end_rec';

/** What `lastInstance` needs of a held row. */
export interface HeldSummary {
  id: number;
  hostId: number;
  pid: number;
  startNs: bigint;
  startKnown: boolean;
  endNs?: bigint;
  endCertainty?: EndCertainty;
}

/**
 * New `instances` rows held in memory until the writer flushes them, so that a process that
 * starts and ends between two flushes costs one INSERT of its final row instead of an
 * INSERT and an UPDATE (the UPDATE moved the row in `instances_by_pid`, which covers
 * `end_ns`, and out of the partial `instances_open` index). Ids are assigned here, in
 * creation order, exactly as SQLite would have given them (max(id) + 1), because the
 * builder and the parent and image rows refer to them at once.
 *
 * Rows live in preallocated typed arrays, not one object each: held objects outlived
 * young-generation collections and V8 grew the old generation after them (+10 MiB peak RSS
 * on a 100 MiB log when rows were objects). Only the record-id strings are referenced.
 */
export class PendingInstances {
  private readonly nums: Float64Array;
  private readonly times: BigInt64Array;
  private readonly strs: (string | undefined)[];
  private n = 0;
  private firstId: number;

  /** `nextId`: the id the next new row gets (max(id) + 1 of the table). */
  constructor(
    nextId: number,
    readonly capacity: number,
  ) {
    this.firstId = nextId;
    this.nums = new Float64Array(capacity * NUMS);
    this.times = new BigInt64Array(capacity * 2);
    this.strs = new Array<string | undefined>(capacity * STRS).fill(undefined);
  }

  get size(): number {
    return this.n;
  }

  /** The id of the first held row (every held id is at least this). */
  get firstHeldId(): number {
    return this.firstId;
  }

  /** Holds a new row and returns its id. The caller flushes before `capacity` is passed. */
  add(r: NewInstance): number {
    if (this.n === this.capacity) throw new Error('pending instances: flush before adding beyond capacity');
    const i = this.n++;
    const b = i * NUMS;
    const nums = this.nums;
    nums[b + HOST] = r.hostId;
    nums[b + PID] = r.pid;
    this.times[i * 2] = r.startNs;
    this.setStart(i, r.startKnown, r.creatorPid, r.creatorId, r.evidence);
    nums[b + HAS_END] = 0;
    return this.firstId + i;
  }

  /** The slot of a held row; -1 when the row was written already. */
  slot(id: number): number {
    const i = id - this.firstId;
    return i >= 0 && i < this.n ? i : -1;
  }

  /** A late fork record: the start becomes the fork's, as the UPDATE would set it. */
  forkStart(slot: number, startNs: bigint, creatorPid: number, creatorId: number | undefined, evidence: WriteEvidence | undefined): void {
    this.times[slot * 2] = startNs;
    this.setStart(slot, true, creatorPid, creatorId, evidence);
  }

  /** Sets (or replaces) the end. */
  end(slot: number, e: InstanceEnd): void {
    const b = slot * NUMS;
    const nums = this.nums;
    nums[b + HAS_END] = 1;
    nums[b + EXIT_CODE] = nn(e.exitCode);
    nums[b + EXIT_SIGNAL] = nn(e.exitSignal);
    nums[b + END_SRC] = nn(e.evidence?.src);
    nums[b + END_OFF] = nn(e.evidence?.off);
    nums[b + END_LINE] = nn(e.evidence?.line);
    this.times[slot * 2 + 1] = e.endNs;
    const s = slot * STRS;
    this.strs[s + END_REC] = e.evidence?.rec;
    this.strs[s + CERTAINTY] = e.certainty;
    this.strs[s + REASON] = e.reason;
  }

  /** The slots of a pid's held rows, in id order (a scan: for the rare pid the cache forgot). */
  slotsOfPid(hostId: number, pid: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.n; i++) if (this.nums[i * NUMS + PID] === pid && this.nums[i * NUMS + HOST] === hostId) out.push(i);
    return out;
  }

  summary(slot: number): HeldSummary {
    const b = slot * NUMS;
    const s: HeldSummary = {
      id: this.firstId + slot,
      hostId: this.nums[b + HOST]!,
      pid: this.nums[b + PID]!,
      startNs: this.times[slot * 2]!,
      startKnown: this.nums[b + START_KNOWN] === 1,
    };
    if (this.nums[b + HAS_END] === 1) {
      s.endNs = this.times[slot * 2 + 1]!;
      s.endCertainty = this.strs[slot * STRS + CERTAINTY] as EndCertainty;
    }
    return s;
  }

  /** Calls `write` with each held row's INSERT parameters (in id order), then starts empty after them. */
  drain(write: (params: InstanceParams) => void): void {
    const nums = this.nums;
    const strs = this.strs;
    const params: InstanceParams = new Array<number | bigint | string | null>(20).fill(null);
    const n = this.n;
    // Emptied first: should a write throw, the rows are not written twice.
    this.n = 0;
    const firstId = this.firstId;
    this.firstId += n;
    for (let i = 0; i < n; i++) {
      const b = i * NUMS;
      const s = i * STRS;
      params[0] = firstId + i;
      params[1] = nums[b + HOST]!;
      params[2] = nums[b + PID]!;
      params[3] = this.times[i * 2]!;
      params[4] = nums[b + START_KNOWN]!;
      params[5] = sqlNum(nums[b + CREATOR_PID]!);
      params[6] = sqlNum(nums[b + CREATOR_ID]!);
      params[7] = sqlNum(nums[b + START_SRC]!);
      params[8] = sqlNum(nums[b + START_OFF]!);
      params[9] = sqlNum(nums[b + START_LINE]!);
      params[10] = strs[s + START_REC] ?? null;
      const ended = nums[b + HAS_END] === 1;
      params[11] = ended ? this.times[i * 2 + 1]! : null;
      params[12] = ended ? strs[s + CERTAINTY]! : null;
      params[13] = ended ? (strs[s + REASON] ?? null) : null;
      params[14] = ended ? sqlNum(nums[b + EXIT_CODE]!) : null;
      params[15] = ended ? sqlNum(nums[b + EXIT_SIGNAL]!) : null;
      params[16] = ended ? sqlNum(nums[b + END_SRC]!) : null;
      params[17] = ended ? sqlNum(nums[b + END_OFF]!) : null;
      params[18] = ended ? sqlNum(nums[b + END_LINE]!) : null;
      params[19] = ended ? (strs[s + END_REC] ?? null) : null;
      write(params);
    }
    strs.fill(undefined, 0, n * STRS); // let the record-id strings go
  }

  /** Forgets the rows (their transaction was rolled back) and continues at `nextId`. */
  discard(nextId: number): void {
    this.strs.fill(undefined, 0, this.n * STRS);
    this.n = 0;
    this.firstId = nextId;
  }

  private setStart(slot: number, startKnown: boolean, creatorPid: number | undefined, creatorId: number | undefined, ev: WriteEvidence | undefined): void {
    const b = slot * NUMS;
    const nums = this.nums;
    nums[b + START_KNOWN] = startKnown ? 1 : 0;
    nums[b + CREATOR_PID] = nn(creatorPid);
    nums[b + CREATOR_ID] = nn(creatorId);
    nums[b + START_SRC] = nn(ev?.src);
    nums[b + START_OFF] = nn(ev?.off);
    nums[b + START_LINE] = nn(ev?.line);
    this.strs[slot * STRS + START_REC] = ev?.rec;
  }
}
