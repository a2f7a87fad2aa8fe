import type { HostNamed } from './ingest-target.js';
import type { Credentials, EvidenceRef, ExecEvent, ExitEvent, ForkEvent, ObservedEvent, ProcEvent, ProcessImage } from '../events/proc-event.js';

/**
 * ProcEvents <-> a compact batch for the hop from the parse worker to the ingest thread:
 * every number of a batch in one Float64Array (timestamps as int64 in the same 8-byte
 * slots, through a BigInt64Array view), every string once in a table, kinds the auditd
 * adapter does not emit in bulk as the objects themselves.
 *
 * Why: the receiving thread is the busy one (it also writes SQLite). Structured-cloning
 * event objects cost it ~15% of its time; a flat `unknown[]` of numbers, strings and
 * bigints still cost ~4.5 us per event to deserialise and decode (bench/stages/
 * event-codec-bench.ts). A typed array is transferred without a copy and read back without
 * type checks, and a batch's repeated strings (comm, exe, user names, common arguments)
 * are cloned and decoded once.
 *
 * Decoding gives objects with the same fields set as the encoded ones (absent stays absent,
 * `host: undefined` stays present), in the order the auditd adapter sets them.
 */
const RAW = 0;
const FORK = 1;
const EXEC = 2;
const EXIT = 3;
const OBSERVED = 4;

/** String references: an index into `strings`, or one of these. */
const ABSENT = -1;
/** Only `host`: the property is there with the value undefined (the default host). */
const UNDEFINED = -2;

/** Slots of the scratch array at first; doubled as needed (about 40 per event). */
const INITIAL_SLOTS = 16 * 1024;

const NUL = '\0';
const hasNul = (arg: string): boolean => arg.includes(NUL);

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export interface EncodedEvents {
  /** Evidence file names. */
  files: string[];
  /** Every other string, once per batch. */
  strings: string[];
  /** `used` 8-byte slots: numbers as float64 (NaN = absent), timestamps as int64. */
  slots: ArrayBuffer;
  used: number;
  /** Events of kinds not flattened, in order (a RAW slot says where). */
  raw: ProcEvent[];
  /** The host references of the flattened events, each once (see `hostsOf`). */
  hostRefs: number[];
}

/** The transferable part of an encoded batch (for postMessage's transfer list). */
export function transferablesOf(encoded: EncodedEvents): ArrayBuffer[] {
  return [encoded.slots];
}

class Encoder {
  private f64 = new Float64Array(INITIAL_SLOTS);
  private i64 = new BigInt64Array(this.f64.buffer);
  private k = 0;
  private files: string[] = [];
  private strings: string[] = [];
  private stringIndex = new Map<string, number>();
  /**
   * Table entry of each argv array met in this batch: the adapter hands equal lists over as
   * one array (execve-argv.ts), so a repeat costs no join and no hash of a long string.
   */
  private argvIndex = new Map<readonly string[], number>();
  private raw: ProcEvent[] = [];
  private hostRefs: number[] = [];
  private lastHostRef = NaN;

  encode(events: readonly ProcEvent[]): EncodedEvents {
    // Written into one scratch array kept across batches, then copied out at its used size:
    // the copy is what gets transferred (a fresh, exactly-sized buffer per batch).
    this.k = 0;
    this.files = [];
    this.strings = [];
    this.raw = [];
    this.hostRefs = [];
    this.lastHostRef = NaN;
    for (const e of events) this.event(e);
    const out: EncodedEvents = { files: this.files, strings: this.strings, slots: this.f64.slice(0, this.k).buffer, used: this.k, raw: this.raw, hostRefs: this.hostRefs };
    // Keep nothing of this batch: strings held until the next one would be promoted to the
    // old generation. (A new Map each batch: a cleared one kept what it had referenced, see
    // ExecveArgs.reset in adapters/auditd/execve-argv.ts.)
    this.stringIndex = new Map();
    this.argvIndex = new Map();
    this.files = [];
    this.strings = [];
    this.raw = [];
    this.hostRefs = [];
    return out;
  }

  private event(e: ProcEvent): void {
    const ts = e.timestampNs;
    const flat =
      e.kind === 'fork' ||
      e.kind === 'exec' ||
      e.kind === 'exit' ||
      (e.kind === 'observed' && (e.startTimeNs === undefined || (e.startTimeNs >= INT64_MIN && e.startTimeNs <= INT64_MAX)));
    // Out of int64 (never from a real clock) or not flattened: the object travels whole.
    if (!flat || typeof ts !== 'bigint' || ts < INT64_MIN || ts > INT64_MAX) {
      this.num(RAW);
      this.raw.push(e);
      return;
    }
    switch (e.kind) {
      case 'fork':
        this.base(FORK, e);
        this.num(e.childPid);
        this.num(e.parentPid);
        this.opt(e.parentTid);
        this.opt(e.parentPpid);
        this.bool(e.maybeThread);
        this.bool(e.newPidNamespace);
        this.image(e.parentImage);
        this.creds(e.parentCreds);
        break;
      case 'exec':
        this.base(EXEC, e);
        this.num(e.pid);
        this.opt(e.ppid);
        this.image(e.image);
        this.creds(e.creds);
        break;
      case 'exit':
        this.base(EXIT, e);
        this.num(e.pid);
        this.opt(e.ppid);
        this.opt(e.exitCode);
        this.opt(e.exitSignal);
        this.str(e.certainty);
        this.str(e.inferredBecause);
        break;
      case 'observed':
        this.base(OBSERVED, e);
        this.num(e.pid);
        this.opt(e.ppid);
        if (e.startTimeNs === undefined) this.num(0);
        else {
          this.num(1);
          this.big(e.startTimeNs);
        }
        this.image(e.image);
        this.creds(e.creds);
        break;
    }
  }

  /** tag, host, timestamp, evidence: 4 slots, +4 with evidence. */
  private base(tag: number, e: ProcEvent): void {
    this.num(tag);
    const hostRef = !('host' in e) ? ABSENT : e.host === undefined ? UNDEFINED : this.ref(e.host);
    this.num(hostRef);
    if (hostRef !== this.lastHostRef) {
      this.lastHostRef = hostRef;
      if (!this.hostRefs.includes(hostRef)) this.hostRefs.push(hostRef);
    }
    this.big(e.timestampNs);
    const ev = e.evidence;
    if (ev === undefined) {
      this.num(-1);
      return;
    }
    this.num(this.fileNo(ev.file));
    this.num(ev.offset);
    this.opt(ev.line);
    // Ids are unique per event: no table lookup.
    if (ev.id === undefined) this.num(ABSENT);
    else {
      this.strings.push(ev.id);
      this.num(this.strings.length - 1);
    }
  }

  private image(i: ProcessImage | undefined): void {
    if (i === undefined) {
      this.num(0);
      return;
    }
    this.num(1);
    this.str(i.comm);
    this.str(i.exe);
    const argv = i.argv;
    if (argv === undefined) this.num(-1);
    else {
      this.num(argv.length);
      if (argv.length > 0) {
        // One string for the whole list (NUL-joined: arguments are C strings, so never
        // hold one): a `true $(seq 400)` is one table entry instead of 400 lookups.
        const known = this.argvIndex.get(argv);
        if (known !== undefined) this.num(known);
        else if (!argv.some(hasNul)) {
          const i = this.ref(argv.join(NUL));
          this.argvIndex.set(argv, i);
          this.num(i);
        } else {
          this.num(ABSENT);
          for (let j = 0; j < argv.length; j++) this.num(this.ref(argv[j]!));
        }
      }
    }
    this.bool(i.argvTruncated);
    this.str(i.cwd);
  }

  private creds(c: Credentials | undefined): void {
    if (c === undefined) {
      this.num(0);
      return;
    }
    this.num(1);
    this.opt(c.uid);
    this.opt(c.euid);
    this.opt(c.gid);
    this.opt(c.egid);
    this.opt(c.auid);
    this.str(c.user);
    this.str(c.euser);
    this.str(c.auser);
  }

  private fileNo(file: string): number {
    const files = this.files;
    const last = files.length - 1;
    if (last >= 0 && files[last] === file) return last;
    const i = files.indexOf(file);
    if (i >= 0) return i;
    files.push(file);
    return files.length - 1;
  }

  private ref(s: string): number {
    let i = this.stringIndex.get(s);
    if (i === undefined) {
      i = this.strings.length;
      this.strings.push(s);
      this.stringIndex.set(s, i);
    }
    return i;
  }

  private str(s: string | undefined): void {
    this.num(s === undefined ? ABSENT : this.ref(s));
  }

  private bool(b: boolean | undefined): void {
    this.num(b === undefined ? NaN : b ? 1 : 0);
  }

  private opt(n: number | undefined): void {
    this.num(n === undefined ? NaN : n);
  }

  private num(n: number): void {
    if (this.k === this.f64.length) this.grow();
    this.f64[this.k++] = n;
  }

  private big(n: bigint): void {
    if (this.k === this.f64.length) this.grow();
    this.i64[this.k++] = n;
  }

  private grow(): void {
    const bigger = new Float64Array(this.f64.length * 2);
    bigger.set(this.f64);
    this.f64 = bigger;
    this.i64 = new BigInt64Array(bigger.buffer);
  }
}

const encoder = new Encoder();

export function encodeEvents(events: readonly ProcEvent[]): EncodedEvents {
  return encoder.encode(events);
}

export function decodeEvents(encoded: EncodedEvents): ProcEvent[] {
  const reader = new EventBatchReader(encoded);
  const out: ProcEvent[] = [];
  for (let e = reader.next(); e !== undefined; e = reader.next()) out.push(e);
  return out;
}

/** The hosts a batch's events name (`{}` for host-less events), each once, for writer locks taken before the batch is applied. */
export function hostsOf(encoded: EncodedEvents): HostNamed[] {
  const named: HostNamed[] = encoded.hostRefs.map((r) => (r === ABSENT ? {} : { host: r === UNDEFINED ? undefined : encoded.strings[r]! }));
  return encoded.raw.length === 0 ? named : named.concat(encoded.raw);
}

/**
 * Decodes a batch one event at a time. The ingest thread applies each event as it is read,
 * so an event's objects die young: decoding a whole batch on arrival kept up to
 * MAX_PIECES_AHEAD batches of objects (~10k events, their argv strings) alive across
 * young-generation collections, which copied them and promoted them to the old generation.
 */
export class EventBatchReader {
  private readonly files: string[];
  private readonly strings: string[];
  private readonly raw: ProcEvent[];
  private readonly used: number;
  private readonly f64: Float64Array;
  private readonly i64: BigInt64Array;
  private k = 0;
  private rawNo = 0;
  /**
   * Argument lists by string-table entry: events of a batch naming the same list share one
   * array (the real 336 MB log has 534 distinct lists in 75,426 execs), so it is split once
   * and the writer serialises it once (sqlite-history-writer.ts). Nothing mutates an argv.
   */
  private readonly argvs = new Map<number, string[]>();

  constructor(encoded: EncodedEvents) {
    this.files = encoded.files;
    this.strings = encoded.strings;
    this.raw = encoded.raw;
    this.used = encoded.used;
    this.f64 = new Float64Array(encoded.slots, 0, encoded.used);
    this.i64 = new BigInt64Array(encoded.slots, 0, encoded.used);
  }

  /** The next event, or undefined after the last. */
  next(): ProcEvent | undefined {
    if (this.k >= this.used) return undefined;
    const f64 = this.f64;
    const strings = this.strings;
    const tag = f64[this.k++]!;
    if (tag === RAW) return this.raw[this.rawNo++]!;
    const hostRef = f64[this.k++]!;
    const timestampNs = this.i64[this.k++]!;
    let evidence: EvidenceRef | undefined;
    const fileNo = f64[this.k++]!;
    if (fileNo >= 0) {
      evidence = { file: this.files[fileNo]!, offset: f64[this.k++]! };
      const line = f64[this.k++]!;
      const id = f64[this.k++]!;
      if (id >= 0) evidence.id = strings[id]!;
      if (line === line) evidence.line = line;
    }
    switch (tag) {
      case FORK: {
        const f = { kind: 'fork', timestampNs } as ForkEvent;
        if (hostRef !== ABSENT) f.host = hostRef === UNDEFINED ? undefined : strings[hostRef]!;
        if (evidence !== undefined) f.evidence = evidence;
        f.childPid = f64[this.k++]!;
        f.parentPid = f64[this.k++]!;
        const parentTid = f64[this.k++]!;
        const parentPpid = f64[this.k++]!;
        const maybeThread = f64[this.k++]!;
        const newPidNamespace = f64[this.k++]!;
        const image = this.image();
        if (image !== undefined) f.parentImage = image;
        const creds = this.creds();
        if (creds !== undefined) f.parentCreds = creds;
        if (parentTid === parentTid) f.parentTid = parentTid;
        if (parentPpid === parentPpid) f.parentPpid = parentPpid;
        if (maybeThread === maybeThread) f.maybeThread = maybeThread === 1;
        if (newPidNamespace === 1) f.newPidNamespace = true;
        return f;
      }
      case EXEC: {
        const x = { kind: 'exec', timestampNs } as ExecEvent;
        if (hostRef !== ABSENT) x.host = hostRef === UNDEFINED ? undefined : strings[hostRef]!;
        if (evidence !== undefined) x.evidence = evidence;
        x.pid = f64[this.k++]!;
        const ppid = f64[this.k++]!;
        const image = this.image();
        if (image !== undefined) x.image = image;
        const creds = this.creds();
        if (creds !== undefined) x.creds = creds;
        if (ppid === ppid) x.ppid = ppid;
        return x;
      }
      case EXIT: {
        const x = { kind: 'exit', timestampNs } as ExitEvent;
        if (hostRef !== ABSENT) x.host = hostRef === UNDEFINED ? undefined : strings[hostRef]!;
        if (evidence !== undefined) x.evidence = evidence;
        x.pid = f64[this.k++]!;
        const ppid = f64[this.k++]!;
        const exitCode = f64[this.k++]!;
        const exitSignal = f64[this.k++]!;
        const certainty = f64[this.k++]!;
        const inferredBecause = f64[this.k++]!;
        if (certainty >= 0) x.certainty = strings[certainty] as ExitEvent['certainty'];
        if (inferredBecause >= 0) x.inferredBecause = strings[inferredBecause]!;
        if (ppid === ppid) x.ppid = ppid;
        if (exitCode === exitCode) x.exitCode = exitCode;
        if (exitSignal === exitSignal) x.exitSignal = exitSignal;
        return x;
      }
      case OBSERVED: {
        const o = { kind: 'observed', timestampNs } as ObservedEvent;
        if (hostRef !== ABSENT) o.host = hostRef === UNDEFINED ? undefined : strings[hostRef]!;
        if (evidence !== undefined) o.evidence = evidence;
        o.pid = f64[this.k++]!;
        const ppid = f64[this.k++]!;
        const startTimeNs = f64[this.k++] === 1 ? this.i64[this.k++]! : undefined;
        const image = this.image();
        if (image !== undefined) o.image = image;
        const creds = this.creds();
        if (creds !== undefined) o.creds = creds;
        if (ppid === ppid) o.ppid = ppid;
        if (startTimeNs !== undefined) o.startTimeNs = startTimeNs;
        return o;
      }
      default:
        throw new Error(`event batch: unknown tag ${tag} at slot ${this.k - 1}`);
    }
  }

  private image(): ProcessImage | undefined {
    const f64 = this.f64;
    const strings = this.strings;
    if (f64[this.k++] === 0) return undefined;
    const i: ProcessImage = {};
    let v = f64[this.k++]!;
    if (v >= 0) i.comm = strings[v]!;
    v = f64[this.k++]!;
    if (v >= 0) i.exe = strings[v]!;
    const argc = f64[this.k++]!;
    if (argc === 0) i.argv = [];
    else if (argc > 0) {
      const joined = f64[this.k++]!;
      if (joined >= 0) {
        let argv = this.argvs.get(joined);
        if (argv === undefined) {
          argv = strings[joined]!.split(NUL);
          if (argv.length !== argc) throw new Error(`event batch: argv of ${argc} arguments split into ${argv.length}`);
          this.argvs.set(joined, argv);
        }
        i.argv = argv;
      } else {
        const argv = new Array<string>(argc);
        for (let j = 0; j < argc; j++) argv[j] = strings[f64[this.k++]!]!;
        i.argv = argv;
      }
    }
    v = f64[this.k++]!;
    if (v === v) i.argvTruncated = v === 1;
    v = f64[this.k++]!;
    if (v >= 0) i.cwd = strings[v]!;
    return i;
  }

  private creds(): Credentials | undefined {
    const f64 = this.f64;
    const strings = this.strings;
    if (f64[this.k++] === 0) return undefined;
    const c: Credentials = {};
    let v = f64[this.k++]!;
    if (v === v) c.uid = v;
    v = f64[this.k++]!;
    if (v === v) c.euid = v;
    v = f64[this.k++]!;
    if (v === v) c.gid = v;
    v = f64[this.k++]!;
    if (v === v) c.egid = v;
    v = f64[this.k++]!;
    if (v === v) c.auid = v;
    v = f64[this.k++]!;
    if (v >= 0) c.user = strings[v]!;
    v = f64[this.k++]!;
    if (v >= 0) c.euser = strings[v]!;
    v = f64[this.k++]!;
    if (v >= 0) c.auser = strings[v]!;
    return c;
  }
}
