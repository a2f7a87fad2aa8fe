import type { ConnectorEvent, ConnectorPayload } from './connector-event.js';
import { PROC_EVENT_WHAT } from './connector-event.js';

/*
 * Wire layout (little-endian on x86/arm64; the kernel writes host order):
 *   struct nlmsghdr   16 bytes: len u32, type u16, flags u16, seq u32, pid u32
 *   struct cn_msg     20 bytes: idx u32, val u32, seq u32, ack u32, len u16, flags u16
 *   struct proc_event 16 bytes: what u32, cpu u32, timestamp_ns u64 (8-aligned in the
 *                     kernel's buffer, which is why cn_msg is placed 4 bytes in), then
 *                     the event_data union (largest member: 24 bytes).
 * Each message is padded to 4 bytes (NLMSG_ALIGN) and is self-delimiting by nlmsg_len,
 * so datagrams concatenated exactly as received can be walked without any framing.
 */
const NLMSG_HDR = 16;
const CN_MSG_HDR = 20;
const PROC_EVENT_HDR = 16;
const NLMSG_DONE = 3;
const CN_IDX_PROC = 1;
const CN_VAL_PROC = 1;
/** A connector message is 76 bytes; anything claiming more than this is damage. */
const MAX_PLAUSIBLE_MESSAGE = 4096;

/** Union bytes each `what` needs (fields read past cn_msg.len would be garbage). */
const PAYLOAD_BYTES: Record<number, number> = {
  [PROC_EVENT_WHAT.NONE]: 4,
  [PROC_EVENT_WHAT.FORK]: 16,
  [PROC_EVENT_WHAT.EXEC]: 8,
  [PROC_EVENT_WHAT.UID]: 16,
  [PROC_EVENT_WHAT.GID]: 16,
  [PROC_EVENT_WHAT.SID]: 8,
  [PROC_EVENT_WHAT.PTRACE]: 16,
  [PROC_EVENT_WHAT.COMM]: 24,
  [PROC_EVENT_WHAT.COREDUMP]: 16,
  [PROC_EVENT_WHAT.EXIT]: 24,
  [PROC_EVENT_WHAT.NONZERO_EXIT]: 24,
};

/** A damaged or unusable message: a stable reason key and its byte offset. */
export interface DecodeProblem {
  reason:
    | 'truncated-message' // the input ends inside a message
    | 'bad-message-length' // nlmsg_len impossible: the bytes after it cannot be trusted
    | 'not-proc-connector' // a netlink message that is not a CN_IDX_PROC event
    | 'short-event' // cn_msg.len too small for its `what`
    | 'resynchronized'; // bytes skipped to find the next plausible message after damage
  offset: number;
  detail: string;
}

export interface DecodeResult {
  events: ConnectorEvent[];
  problems: DecodeProblem[];
  /**
   * Bytes fully walked. Less than the input only when it ends inside a message: a
   * streaming reader keeps the tail for the next chunk, and at end of input reports it.
   */
  consumed: number;
}

/**
 * Decodes concatenated netlink messages (one or more datagrams) into connector events.
 * Pure: `baseOffset` is the buffer's position in its stream, used for every offset
 * reported. Damage never throws: it is reported with its offset, and decoding resumes at
 * the next 4-byte-aligned position that looks like a connector message.
 */
export function decodeDatagrams(buf: Buffer, baseOffset = 0): DecodeResult {
  const events: ConnectorEvent[] = [];
  const problems: DecodeProblem[] = [];
  let at = 0;
  while (at < buf.length) {
    const left = buf.length - at;
    if (left < NLMSG_HDR) return { events, problems, consumed: at };
    const nlLen = buf.readUInt32LE(at);
    if (nlLen < NLMSG_HDR || nlLen > MAX_PLAUSIBLE_MESSAGE) {
      problems.push({
        reason: 'bad-message-length',
        offset: baseOffset + at,
        detail: `nlmsg_len ${nlLen} is not a plausible netlink message length`,
      });
      // Nothing plausible in this buffer: skip what was scanned, keep the last few bytes in
      // case a message starts there and continues in the next chunk.
      const next = findNextMessage(buf, at + 4) ?? lastScanStart(buf, at + 4);
      problems.push({
        reason: 'resynchronized',
        offset: baseOffset + at,
        detail: `skipped ${next - at} bytes to the next plausible message at ${baseOffset + next}`,
      });
      at = next;
      continue;
    }
    if (nlLen > left) return { events, problems, consumed: at };
    decodeMessage(buf, at, nlLen, baseOffset, events, problems);
    at += align4(nlLen);
  }
  return { events, problems, consumed: Math.min(at, buf.length) };
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

function decodeMessage(
  buf: Buffer,
  at: number,
  nlLen: number,
  baseOffset: number,
  events: ConnectorEvent[],
  problems: DecodeProblem[],
): void {
  const offset = baseOffset + at;
  const type = buf.readUInt16LE(at + 4);
  const cn = at + NLMSG_HDR;
  if (type !== NLMSG_DONE || nlLen < NLMSG_HDR + CN_MSG_HDR + PROC_EVENT_HDR) {
    problems.push({ reason: 'not-proc-connector', offset, detail: `netlink type ${type}, length ${nlLen}` });
    return;
  }
  const idx = buf.readUInt32LE(cn);
  const val = buf.readUInt32LE(cn + 4);
  if (idx !== CN_IDX_PROC || val !== CN_VAL_PROC) {
    problems.push({ reason: 'not-proc-connector', offset, detail: `connector id ${idx}/${val}` });
    return;
  }
  const seq = buf.readUInt32LE(cn + 8);
  // The kernel's cn_msg.len is the proc_event size; never trust it past the netlink frame.
  const cnLen = Math.min(buf.readUInt16LE(cn + 16), nlLen - NLMSG_HDR - CN_MSG_HDR);
  const ev = cn + CN_MSG_HDR;
  const whatCode = buf.readUInt32LE(ev);
  const cpu = buf.readUInt32LE(ev + 4);
  const monotonicNs = buf.readBigUInt64LE(ev + 8);
  const needed = PAYLOAD_BYTES[whatCode];
  if (needed !== undefined && cnLen < PROC_EVENT_HDR + needed) {
    problems.push({
      reason: 'short-event',
      offset,
      detail: `what 0x${whatCode.toString(16)} needs ${PROC_EVENT_HDR + needed} bytes, cn_msg.len is ${cnLen}`,
    });
    return;
  }
  // Header fields are assigned onto the payload object (no spread: it halves decode time).
  const event = decodePayload(buf, ev + PROC_EVENT_HDR, whatCode) as ConnectorEvent;
  event.offset = offset;
  event.cpu = cpu;
  event.seq = seq;
  event.monotonicNs = monotonicNs;
  events.push(event);
}

function decodePayload(buf: Buffer, d: number, whatCode: number): ConnectorPayload {
  switch (whatCode) {
    case PROC_EVENT_WHAT.NONE:
      return { what: 'ack', err: buf.readUInt32LE(d) };
    case PROC_EVENT_WHAT.FORK:
      return { what: 'fork', parentPid: buf.readInt32LE(d), parentTgid: buf.readInt32LE(d + 4), childPid: buf.readInt32LE(d + 8), childTgid: buf.readInt32LE(d + 12) };
    case PROC_EVENT_WHAT.EXEC:
      return { what: 'exec', pid: buf.readInt32LE(d), tgid: buf.readInt32LE(d + 4) };
    case PROC_EVENT_WHAT.UID:
      return { what: 'uid', pid: buf.readInt32LE(d), tgid: buf.readInt32LE(d + 4), ruid: buf.readUInt32LE(d + 8), euid: buf.readUInt32LE(d + 12) };
    case PROC_EVENT_WHAT.GID:
      return { what: 'gid', pid: buf.readInt32LE(d), tgid: buf.readInt32LE(d + 4), rgid: buf.readUInt32LE(d + 8), egid: buf.readUInt32LE(d + 12) };
    case PROC_EVENT_WHAT.SID:
      return { what: 'sid', pid: buf.readInt32LE(d), tgid: buf.readInt32LE(d + 4) };
    case PROC_EVENT_WHAT.PTRACE:
      return { what: 'ptrace', pid: buf.readInt32LE(d), tgid: buf.readInt32LE(d + 4), tracerPid: buf.readInt32LE(d + 8), tracerTgid: buf.readInt32LE(d + 12) };
    case PROC_EVENT_WHAT.COMM:
      return { what: 'comm', pid: buf.readInt32LE(d), tgid: buf.readInt32LE(d + 4), comm: readCString(buf, d + 8, 16) };
    case PROC_EVENT_WHAT.COREDUMP:
      return { what: 'coredump', pid: buf.readInt32LE(d), tgid: buf.readInt32LE(d + 4), parentPid: buf.readInt32LE(d + 8), parentTgid: buf.readInt32LE(d + 12) };
    case PROC_EVENT_WHAT.EXIT:
    case PROC_EVENT_WHAT.NONZERO_EXIT:
      return {
        what: 'exit',
        pid: buf.readInt32LE(d),
        tgid: buf.readInt32LE(d + 4),
        status: buf.readUInt32LE(d + 8),
        exitSignal: buf.readUInt32LE(d + 12),
        parentPid: buf.readInt32LE(d + 16),
        parentTgid: buf.readInt32LE(d + 20),
      };
    default:
      return { what: 'unknown', code: whatCode };
  }
}

function readCString(buf: Buffer, at: number, max: number): string {
  const end = buf.indexOf(0, at);
  return buf.toString('utf8', at, end < 0 || end > at + max ? at + max : end);
}

function lastScanStart(buf: Buffer, from: number): number {
  return Math.max(align4(from), (buf.length - (NLMSG_HDR + 8)) & ~3);
}

/**
 * After damage, the next 4-byte-aligned position holding what looks like a connector
 * message (plausible length, NLMSG_DONE, CN_IDX_PROC/CN_VAL_PROC), or undefined.
 */
function findNextMessage(buf: Buffer, from: number): number | undefined {
  for (let at = align4(from); at + NLMSG_HDR + 8 <= buf.length; at += 4) {
    const len = buf.readUInt32LE(at);
    if (len < NLMSG_HDR + CN_MSG_HDR + PROC_EVENT_HDR || len > MAX_PLAUSIBLE_MESSAGE) continue;
    if (buf.readUInt16LE(at + 4) !== NLMSG_DONE) continue;
    if (buf.readUInt32LE(at + NLMSG_HDR) === CN_IDX_PROC && buf.readUInt32LE(at + NLMSG_HDR + 4) === CN_VAL_PROC) {
      return at;
    }
  }
  return undefined;
}
