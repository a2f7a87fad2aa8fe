import type { SeededRandom } from '../synth/seeded-random.js';

/** Where a mutation must be reported: the 1-based line of the mutated file it broke. */
export interface ExpectedDamage {
  line: number;
}

/** One mutated audit log file. */
export interface MutatedLog {
  bytes: Buffer;
  /** What was done, for a person reading a failure: `NUL bytes at line 17`. */
  detail: string;
  /** Set when the mutation guarantees a damaged record at a known line. */
  expect?: ExpectedDamage;
}

export type AuditdMutation = (log: Buffer, rng: SeededRandom, options: AuditdMutationOptions) => MutatedLog;

export interface AuditdMutationOptions {
  /** Length of the line the `long-line` mutation inserts, bytes. */
  longLineBytes: number;
}

const NL = 0x0a;
const GS = 0x1d;
const MSG = Buffer.from('msg=audit(');

/** Lines without their newline; the last element is what follows the last newline ('' for a complete file). */
function splitLines(buf: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  for (let i = buf.indexOf(NL); i >= 0; i = buf.indexOf(NL, i + 1)) {
    lines.push(buf.subarray(start, i));
    start = i + 1;
  }
  lines.push(buf.subarray(start));
  return lines;
}

const joinLines = (lines: Buffer[]): Buffer => Buffer.concat(lines.flatMap((l, i) => (i === 0 ? [l] : [Buffer.of(NL), l])));

/** 0-based indexes of the lines that hold an audit record. */
function recordLines(lines: Buffer[]): number[] {
  const out: number[] = [];
  lines.forEach((l, i) => l.includes(MSG) && out.push(i));
  if (out.length === 0) throw new Error('no audit record in the sample');
  return out;
}

/** Byte offset where each line starts (the offsets of record boundaries). */
export function lineStarts(buf: Buffer): number[] {
  const starts = [0];
  for (let i = buf.indexOf(NL); i >= 0 && i + 1 < buf.length; i = buf.indexOf(NL, i + 1)) starts.push(i + 1);
  return starts;
}

/** Byte sequences that are not UTF-8: lone continuation, truncated lead, overlong, surrogate, beyond U+10FFFF, 0xFF. */
const INVALID_UTF8 = [[0x80], [0xc3], [0xe2, 0x82], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xff], [0xfe, 0xff]];

function insertAt(line: Buffer, at: number, bytes: Buffer): Buffer {
  return Buffer.concat([line.subarray(0, at), bytes, line.subarray(at)]);
}

export const AUDITD_MUTATIONS: Record<string, AuditdMutation> = {
  'bit flips': (log, rng) => {
    const out = Buffer.from(log);
    const n = rng.range(1, 16);
    for (let i = 0; i < n; i++) {
      const at = rng.int(out.length);
      out[at]! ^= 1 << rng.int(8);
    }
    return { bytes: out, detail: `${n} bit(s) flipped` };
  },

  'truncation at a record boundary': (log, rng) => {
    const starts = lineStarts(log);
    const at = starts[rng.int(starts.length)]!;
    return { bytes: log.subarray(0, at), detail: `cut at byte ${at} (a line start)` };
  },

  'truncation inside a record': (log, rng) => {
    const at = rng.int(log.length);
    return { bytes: log.subarray(0, at), detail: `cut at byte ${at}` };
  },

  'spliced lines of two events': (log, rng) => {
    const lines = splitLines(log);
    const recs = recordLines(lines);
    const a = rng.pick(recs);
    const b = rng.pick(recs);
    const la = lines[a]!;
    const lb = lines[b]!;
    const cutA = rng.int(la.length + 1);
    const cutB = rng.int(lb.length + 1);
    lines[a] = Buffer.concat([la.subarray(0, cutA), lb.subarray(cutB)]);
    return { bytes: joinLines(lines), detail: `line ${a + 1} = its first ${cutA} bytes + line ${b + 1} from byte ${cutB}` };
  },

  'NUL bytes': (log, rng) => {
    const lines = splitLines(log);
    const i = rng.pick(recordLines(lines));
    const line = lines[i]!;
    const how = rng.int(3);
    if (how === 0) {
      // A block of NULs where a crash or power loss left unwritten pages, at a line start.
      lines[i] = Buffer.concat([Buffer.alloc(rng.pick([1, 512, 4096])), line]);
      return { bytes: joinLines(lines), detail: `NUL block before line ${i + 1}`, expect: { line: i + 1 } };
    }
    if (how === 1) {
      lines[i] = Buffer.alloc(line.length);
      return { bytes: joinLines(lines), detail: `line ${i + 1} all NUL`, expect: { line: i + 1 } };
    }
    const n = rng.range(1, 8);
    let l = line;
    for (let k = 0; k < n; k++) l = insertAt(l, rng.int(l.length + 1), Buffer.of(0));
    lines[i] = l;
    return { bytes: joinLines(lines), detail: `${n} NUL byte(s) inside line ${i + 1}` };
  },

  'invalid UTF-8': (log, rng) => {
    const lines = splitLines(log);
    const i = rng.pick(recordLines(lines));
    const n = rng.range(1, 4);
    let l = lines[i]!;
    for (let k = 0; k < n; k++) l = insertAt(l, rng.int(l.length + 1), Buffer.from(rng.pick(INVALID_UTF8)));
    lines[i] = l;
    return { bytes: joinLines(lines), detail: `${n} invalid UTF-8 sequence(s) in line ${i + 1}` };
  },

  'GS (0x1d) in the wrong place': (log, rng) => {
    const lines = splitLines(log);
    const i = rng.pick(recordLines(lines));
    const line = lines[i]!;
    const how = rng.int(3);
    if (how === 0) {
      lines[i] = Buffer.concat([Buffer.of(GS), line]);
      return { bytes: joinLines(lines), detail: `GS at the start of line ${i + 1}`, expect: { line: i + 1 } };
    }
    const existing = line.indexOf(GS);
    if (how === 1 && existing >= 0) {
      // ENRICHED: move the separator into the raw part, or double it.
      const at = rng.int(existing);
      const without = Buffer.concat([line.subarray(0, existing), line.subarray(existing + 1)]);
      lines[i] = rng.chance(0.5) ? insertAt(without, at, Buffer.of(GS)) : insertAt(line, existing, Buffer.of(GS));
      return { bytes: joinLines(lines), detail: `GS of line ${i + 1} moved or doubled` };
    }
    const n = rng.range(1, 3);
    let l = line;
    for (let k = 0; k < n; k++) l = insertAt(l, rng.int(l.length + 1), Buffer.of(GS));
    lines[i] = l;
    return { bytes: joinLines(lines), detail: `${n} GS inside line ${i + 1}` };
  },

  'line without msg=audit(': (log, rng) => {
    const lines = splitLines(log);
    const i = rng.pick(recordLines(lines));
    const line = lines[i]!;
    const at = line.indexOf(MSG);
    const close = line.indexOf('):', at);
    const variants: [string, Buffer][] = [
      ['msg=audit( removed', Buffer.concat([line.subarray(0, at), line.subarray(at + MSG.length)])],
      ['msg=audit without (', Buffer.concat([line.subarray(0, at + MSG.length - 1), line.subarray(at + MSG.length)])],
      ['msg=audit(garbage', insertAt(line, at + MSG.length, Buffer.from('garbage'))],
      ['header cut before its closing )', close > 0 ? line.subarray(0, close) : line.subarray(0, at + MSG.length)],
      ['type= only', line.subarray(0, at)],
    ];
    const [what, mutated] = rng.pick(variants);
    lines[i] = mutated;
    return { bytes: joinLines(lines), detail: `line ${i + 1}: ${what}`, expect: { line: i + 1 } };
  },

  'long line': (log, rng, o) => {
    const lines = splitLines(log);
    const i = rng.pick(recordLines(lines));
    const line = lines[i]!;
    // A real header followed by a value longer than any audit record can be.
    const head = line.subarray(0, Math.min(line.length, line.indexOf(': ') + 2 || line.length));
    const long = Buffer.alloc(o.longLineBytes, 0x41);
    head.copy(long, 0);
    lines.splice(i, 0, long);
    return { bytes: joinLines(lines), detail: `${o.longLineBytes}-byte line inserted before line ${i + 1}`, expect: { line: i + 1 } };
  },
};
