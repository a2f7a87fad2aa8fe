import type { Credentials, EvidenceRef, ExecEvent, ExitEvent, ForkEvent, ObservedEvent, ProcEvent, ProcessImage } from '../events/proc-event.js';

/**
 * ProcEvents <-> one flat array of primitives, for the hop from the parse worker to the
 * ingest thread. Structured-cloning the event objects themselves made the receiving
 * thread (the busy one: it also writes SQLite) spend ~15% of its time rebuilding objects
 * property by property; a flat array of numbers and strings is read back much faster, and
 * the evidence file name is sent once per batch instead of once per event.
 * Kinds the auditd adapter does not emit in bulk travel as the objects themselves.
 * Decoding gives objects with the same fields set as the encoded ones (absent stays absent).
 */
const RAW = 0;
const FORK = 1;
const EXEC = 2;
const EXIT = 3;
const OBSERVED = 4;

export interface EncodedEvents {
  files: string[];
  data: unknown[];
}

export function encodeEvents(events: readonly ProcEvent[]): EncodedEvents {
  const files: string[] = [];
  const data: unknown[] = [];
  const fileIndex = (file: string): number => {
    const last = files.length - 1;
    if (last >= 0 && files[last] === file) return last;
    const i = files.indexOf(file);
    if (i >= 0) return i;
    files.push(file);
    return files.length - 1;
  };
  for (const e of events) {
    switch (e.kind) {
      case 'fork':
        data.push(FORK);
        base(e);
        data.push(e.childPid, e.parentPid, e.parentTid, e.parentPpid, e.maybeThread);
        image(e.parentImage);
        creds(e.parentCreds);
        break;
      case 'exec':
        data.push(EXEC);
        base(e);
        data.push(e.pid, e.ppid);
        image(e.image);
        creds(e.creds);
        break;
      case 'exit':
        data.push(EXIT);
        base(e);
        data.push(e.pid, e.ppid, e.exitCode, e.exitSignal, e.certainty);
        break;
      case 'observed':
        data.push(OBSERVED);
        base(e);
        data.push(e.pid, e.ppid, e.startTimeNs);
        image(e.image);
        creds(e.creds);
        break;
      default:
        data.push(RAW, e);
    }
  }
  return { files, data };

  function base(e: ProcEvent): void {
    // host: 1 = present (value follows), 0 = absent.
    if ('host' in e) data.push(1, e.host);
    else data.push(0);
    data.push(e.timestampNs);
    const ev = e.evidence;
    if (ev === undefined) data.push(-1);
    else data.push(fileIndex(ev.file), ev.offset, ev.line, ev.id);
  }
  function image(i: ProcessImage | undefined): void {
    if (i === undefined) data.push(0);
    else data.push(1, i.comm, i.exe, i.argv, i.argvTruncated, i.cwd);
  }
  function creds(c: Credentials | undefined): void {
    if (c === undefined) data.push(0);
    else data.push(1, c.uid, c.euid, c.gid, c.egid, c.auid, c.user, c.euser, c.auser);
  }
}

export function decodeEvents(encoded: EncodedEvents): ProcEvent[] {
  const { files, data } = encoded;
  const out: ProcEvent[] = [];
  let k = 0;
  let v: unknown;
  const next = (): unknown => data[k++];
  while (k < data.length) {
    const tag = next() as number;
    if (tag === RAW) {
      out.push(next() as ProcEvent);
      continue;
    }
    const hasHost = next() === 1;
    const host = hasHost ? (next() as string | undefined) : undefined;
    const timestampNs = next() as bigint;
    let evidence: EvidenceRef | undefined;
    const fileNo = next() as number;
    if (fileNo >= 0) {
      evidence = { file: files[fileNo]!, offset: next() as number };
      const line = next() as number | undefined;
      const id = next() as string | undefined;
      if (id !== undefined) evidence.id = id;
      if (line !== undefined) evidence.line = line;
    }
    let e: ProcEvent;
    switch (tag) {
      case FORK: {
        const f = { kind: 'fork', timestampNs } as ForkEvent;
        if (hasHost) f.host = host!;
        if (evidence !== undefined) f.evidence = evidence;
        f.childPid = next() as number;
        f.parentPid = next() as number;
        v = next();
        if (v !== undefined) f.parentTid = v as never;
        v = next();
        if (v !== undefined) f.parentPpid = v as never;
        v = next();
        if (v !== undefined) f.maybeThread = v as never;
        v = readImage();
        if (v !== undefined) f.parentImage = v as never;
        v = readCreds();
        if (v !== undefined) f.parentCreds = v as never;
        e = f;
        break;
      }
      case EXEC: {
        const x = { kind: 'exec', timestampNs } as ExecEvent;
        if (hasHost) x.host = host!;
        if (evidence !== undefined) x.evidence = evidence;
        x.pid = next() as number;
        v = next();
        if (v !== undefined) x.ppid = v as never;
        v = readImage();
        if (v !== undefined) x.image = v as never;
        v = readCreds();
        if (v !== undefined) x.creds = v as never;
        e = x;
        break;
      }
      case EXIT: {
        const x = { kind: 'exit', timestampNs } as ExitEvent;
        if (hasHost) x.host = host!;
        if (evidence !== undefined) x.evidence = evidence;
        x.pid = next() as number;
        v = next();
        if (v !== undefined) x.ppid = v as never;
        v = next();
        if (v !== undefined) x.exitCode = v as never;
        v = next();
        if (v !== undefined) x.exitSignal = v as never;
        v = next();
        if (v !== undefined) x.certainty = v as never;
        e = x;
        break;
      }
      case OBSERVED: {
        const o = { kind: 'observed', timestampNs } as ObservedEvent;
        if (hasHost) o.host = host!;
        if (evidence !== undefined) o.evidence = evidence;
        o.pid = next() as number;
        v = next();
        if (v !== undefined) o.ppid = v as never;
        v = next();
        if (v !== undefined) o.startTimeNs = v as never;
        v = readImage();
        if (v !== undefined) o.image = v as never;
        v = readCreds();
        if (v !== undefined) o.creds = v as never;
        e = o;
        break;
      }
      default:
        throw new Error(`event batch: unknown tag ${tag} at ${k - 1}`);
    }
    out.push(e);
  }
  return out;

  function readImage(): ProcessImage | undefined {
    if (next() === 0) return undefined;
    const i: ProcessImage = {};
    v = next();
    if (v !== undefined) i.comm = v as never;
    v = next();
    if (v !== undefined) i.exe = v as never;
    v = next();
    if (v !== undefined) i.argv = v as never;
    v = next();
    if (v !== undefined) i.argvTruncated = v as never;
    v = next();
    if (v !== undefined) i.cwd = v as never;
    return i;
  }
  function readCreds(): Credentials | undefined {
    if (next() === 0) return undefined;
    const c: Credentials = {};
    v = next();
    if (v !== undefined) c.uid = v as never;
    v = next();
    if (v !== undefined) c.euid = v as never;
    v = next();
    if (v !== undefined) c.gid = v as never;
    v = next();
    if (v !== undefined) c.egid = v as never;
    v = next();
    if (v !== undefined) c.auid = v as never;
    v = next();
    if (v !== undefined) c.user = v as never;
    v = next();
    if (v !== undefined) c.euser = v as never;
    v = next();
    if (v !== undefined) c.auser = v as never;
    return c;
  }
}

