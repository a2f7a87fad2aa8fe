import type { SeededRandom } from '../synth/seeded-random.js';

/** Where a mutation must be reported: a byte offset in the capture, or a line of a sidecar. */
export interface ExpectedConnectorDamage {
  /** '' = the datagram file itself, else the sidecar suffix (`.live.ndjson`). */
  sidecar: string;
  offset?: number;
  line?: number;
}

/** A mutated capture: the datagram file and the sidecars to write beside it (absent = the original). */
export interface MutatedCapture {
  cap: Buffer;
  sidecars: Map<string, Buffer>;
  detail: string;
  expect?: ExpectedConnectorDamage;
}

export type ConnectorMutation = (cap: Buffer, sidecars: Map<string, Buffer>, rng: SeededRandom) => MutatedCapture;

/** nlmsghdr 16 + cn_msg 20 + proc_event: what decode-datagram.ts walks. */
const NLMSG_HDR = 16;
const CN_LEN_AT = NLMSG_HDR + 16;
/** decode-datagram.ts: a length above this is not a connector message. */
const MAX_PLAUSIBLE_MESSAGE = 4096;

/** Offsets where each message starts, walking nlmsg_len as the decoder does. */
export function messageStarts(cap: Buffer): number[] {
  const starts: number[] = [];
  let at = 0;
  while (at + NLMSG_HDR <= cap.length) {
    const len = cap.readUInt32LE(at);
    if (len < NLMSG_HDR) break;
    starts.push(at);
    at += (len + 3) & ~3;
  }
  return starts;
}

function pickMessage(cap: Buffer, rng: SeededRandom): { at: number; len: number } {
  const starts = messageStarts(cap);
  if (starts.length === 0) throw new Error('no netlink message in the capture');
  const at = rng.pick(starts);
  return { at, len: cap.readUInt32LE(at) };
}

const withLength = (cap: Buffer, at: number, len: number): Buffer => {
  const out = Buffer.from(cap);
  out.writeUInt32LE(len >>> 0, at);
  return out;
};

const same = (sidecars: Map<string, Buffer>) => new Map(sidecars);

export const CONNECTOR_MUTATIONS: Record<string, ConnectorMutation> = {
  'bit flips': (cap, sidecars, rng) => {
    const out = Buffer.from(cap);
    const n = rng.range(1, 16);
    for (let i = 0; i < n; i++) out[rng.int(out.length)]! ^= 1 << rng.int(8);
    return { cap: out, sidecars: same(sidecars), detail: `${n} bit(s) flipped` };
  },

  'truncation at a message boundary': (cap, sidecars, rng) => {
    const starts = [...messageStarts(cap), cap.length];
    const at = rng.pick(starts);
    return { cap: cap.subarray(0, at), sidecars: same(sidecars), detail: `cut at byte ${at} (a message start)` };
  },

  'short header (datagram cut inside its nlmsghdr)': (cap, sidecars, rng) => {
    const { at } = pickMessage(cap, rng);
    const keep = rng.range(1, NLMSG_HDR - 1);
    return { cap: cap.subarray(0, at + keep), sidecars: same(sidecars), detail: `cut ${keep} bytes into the message at ${at}`, expect: { sidecar: '', offset: at } };
  },

  'truncation inside a message': (cap, sidecars, rng) => {
    const { at, len } = pickMessage(cap, rng);
    const keep = rng.range(NLMSG_HDR, len - 1);
    return { cap: cap.subarray(0, at + keep), sidecars: same(sidecars), detail: `cut ${keep} bytes into the message at ${at}`, expect: { sidecar: '', offset: at } };
  },

  'length field larger than the datagram': (cap, sidecars, rng) => {
    const { at, len } = pickMessage(cap, rng);
    const implausible = rng.chance(0.5);
    const bad = implausible ? rng.pick([MAX_PLAUSIBLE_MESSAGE + 1, 0x10000, 0x7fffffff, 0xffffffff]) : len + 4 * rng.range(1, 40);
    // A plausible length that swallows the next message(s) may decode; an implausible one must be reported here.
    const mutated: MutatedCapture = { cap: withLength(cap, at, bad), sidecars: same(sidecars), detail: `nlmsg_len ${len} -> ${bad} at ${at}` };
    if (implausible) mutated.expect = { sidecar: '', offset: at };
    return mutated;
  },

  'length field smaller than the datagram': (cap, sidecars, rng) => {
    const { at, len } = pickMessage(cap, rng);
    // Below cn_msg + proc_event header: never a decodable event, always reported here
    // (a length a few bytes short may still hold the whole payload and decode correctly).
    const bad = rng.int(Math.min(len, NLMSG_HDR + 20 + 16));
    return { cap: withLength(cap, at, bad), sidecars: same(sidecars), detail: `nlmsg_len ${len} -> ${bad} at ${at}`, expect: { sidecar: '', offset: at } };
  },

  'cn_msg.len too small for its event': (cap, sidecars, rng) => {
    const { at } = pickMessage(cap, rng);
    const out = Buffer.from(cap);
    out.writeUInt16LE(rng.int(20), at + CN_LEN_AT); // < proc_event header + the smallest payload
    return { cap: out, sidecars: same(sidecars), detail: `cn_msg.len at ${at} set small`, expect: { sidecar: '', offset: at } };
  },

  'NUL block between datagrams': (cap, sidecars, rng) => {
    const { at } = pickMessage(cap, rng);
    const n = rng.pick([4, 76, 4096]);
    const out = Buffer.concat([cap.subarray(0, at), Buffer.alloc(n), cap.subarray(at)]);
    return { cap: out, sidecars: same(sidecars), detail: `${n} NUL bytes before the message at ${at}`, expect: { sidecar: '', offset: at } };
  },

  'damaged sidecar': (cap, sidecars, rng) => {
    const names = [...sidecars.keys()].filter((s) => s !== '.meta.json');
    const out = same(sidecars);
    const name = rng.pick(names);
    const text = sidecars.get(name)!;
    const how = rng.int(3);
    if (how === 0) {
      out.set(name, text.subarray(0, rng.int(text.length)));
      return { cap, sidecars: out, detail: `${name} cut short` };
    }
    if (how === 1) {
      const flipped = Buffer.from(text);
      for (let i = rng.range(1, 8); i > 0; i--) flipped[rng.int(flipped.length)]! ^= 1 << rng.int(8);
      out.set(name, flipped);
      return { cap, sidecars: out, detail: `${name}: bits flipped` };
    }
    // JSON that parses but has the wrong shape (found a TypeError once).
    const wrong = rng.pick(['{"pid":1}', '[]', 'null', '{"type":"exec","offset":"x"}', '{"type":"reseed","offset":0,"snapshot":{}}', '{"takenAtNs":"1","processes":[{"pid":-1}]}']);
    out.set(name, name === '.live.ndjson' ? Buffer.concat([Buffer.from(wrong + '\n'), text]) : Buffer.from(wrong));
    const mutated: MutatedCapture = { cap, sidecars: out, detail: `${name}: ${wrong}` };
    // A live record of the wrong shape is reported at its line; the snapshot as a whole at its start.
    mutated.expect = name === '.live.ndjson' ? { sidecar: name, line: 1 } : { sidecar: name, offset: 0 };
    return mutated;
  },

  'damaged meta file': (cap, sidecars, rng) => {
    const out = same(sidecars);
    const meta = sidecars.get('.meta.json')!;
    out.set('.meta.json', rng.chance(0.5) ? meta.subarray(0, rng.int(meta.length)) : Buffer.from(meta.toString('utf8').replace(/"monotonic_to_realtime_ns": *"\d+"/, '"monotonic_to_realtime_ns": 12.5')));
    return { cap, sidecars: out, detail: 'meta file cut short or its clock offset of the wrong type' };
  },
};
