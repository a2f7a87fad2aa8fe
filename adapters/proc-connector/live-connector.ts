import { readFileSync } from 'node:fs';
import { hostname, release } from 'node:os';
import type { EventSink } from '../../src/events/event-sink.js';
import { UserError } from '../../src/cli/user-error.js';
import type { CaptureMeta, LiveRecord } from './capture-files.js';
import { CAPTURE_FORMAT, CAPTURE_FORMAT_VERSION, livePath, sidecarName, snapshotPath } from './capture-files.js';
import type { CaptureWriter } from './capture-writer.js';
import { decodeDatagrams } from './decode-datagram.js';
import { liveImages, liveReapers } from './live-proc-sources.js';
import { isPermissionError, loadProcConnectorNative } from './native-binding.js';
import { readProcSnapshot } from './proc-snapshot.js';
import type { TranslatorStats } from './to-proc-events.js';
import { ConnectorTranslator } from './to-proc-events.js';

/** 64 MiB: at ~1 KiB of kernel memory per queued 76-byte message, ~60k messages of slack. */
export const DEFAULT_RCVBUF_BYTES = 64 * 1024 * 1024;
/** One worker read takes at most this much; larger batches mean fewer JS round trips. */
const BATCH_BYTES = 1024 * 1024;
/** How long a read waits for data before the loop re-checks whether to stop. */
const POLL_WAIT_MS = 200;
/** At stop, read at most this many more batches of what is already queued. */
const MAX_DRAIN_BATCHES = 64;

export interface LiveOptions {
  sink: EventSink;
  /**
   * Opens the capture that records raw datagrams, snapshot, meta and live records. Called
   * only once the socket is open, so a refused subscription leaves no empty files behind.
   */
  openWriter?: () => CaptureWriter;
  /** Stops the loop (SIGINT/SIGTERM, --duration, a test). */
  signal: AbortSignal;
  host?: string;
  rcvbufBytes?: number;
  /** Called (and awaited) after each batch, e.g. to commit a database transaction. */
  afterBatch?: () => void | Promise<void>;
  command?: string[];
}

export interface LiveSummary {
  startNs: bigint;
  endNs: bigint;
  datagrams: number;
  bytes: number;
  enobufs: number;
  rcvbufBytes: number;
  stats: TranslatorStats;
}

/**
 * Subscribes to the proc connector and runs until `signal` aborts: each batch is written
 * raw to the capture (if any), decoded, and translated into ProcEvents for `sink`.
 * Order matters at start: subscribe first, then snapshot /proc, so no process can fall
 * between the two (one that appears in both is matched by its start time).
 * On ENOBUFS: a loss event, then a fresh /proc snapshot re-seeds the tree.
 */
export async function runLiveConnector(options: LiveOptions): Promise<LiveSummary> {
  const native = loadProcConnectorNative();
  const offsetNs = native.monotonicToRealtimeNs();
  const nowNs = (): bigint => process.hrtime.bigint() + offsetNs;
  const startNs = nowNs(); // before subscribing: every event, the ack included, comes after
  let socket: ReturnType<typeof native.open>;
  try {
    socket = native.open(options.rcvbufBytes ?? DEFAULT_RCVBUF_BYTES);
  } catch (error) {
    if (isPermissionError(error)) {
      throw new UserError('the kernel proc connector needs root or CAP_NET_ADMIN: run as root (sudo) or grant cap_net_admin');
    }
    throw new UserError(`cannot open the kernel proc connector: ${(error as Error).message}`);
  }
  let writer: CaptureWriter | undefined;
  try {
    writer = options.openWriter?.();
  } catch (error) {
    native.close(socket.fd);
    throw error;
  }
  const record = writer ? (r: LiveRecord): void => writer.appendLive(r) : undefined;
  const evidenceFile = writer?.path ?? 'netlink';
  const host = options.host;
  const translator = new ConnectorTranslator(options.sink, {
    file: evidenceFile,
    ...(host === undefined ? {} : { host }),
    monotonicToRealtimeNs: offsetNs,
    images: liveImages(offsetNs, record),
    reapers: liveReapers(record),
  });
  let sawOwnAck = false;
  let datagrams = 0;
  let bytes = 0;
  let enobufs = 0;
  const meta = (complete: boolean): CaptureMeta => ({
    format: CAPTURE_FORMAT,
    version: CAPTURE_FORMAT_VERSION,
    monotonic_to_realtime_ns: offsetNs.toString(),
    host: hostname(),
    kernel: release(),
    bootId: readBootId(),
    startNs: startNs.toString(),
    ...(complete ? { endNs: nowNs().toString() } : {}),
    rcvbufBytes: socket.rcvbufBytes,
    datagrams,
    bytes,
    enobufs,
    lostMessages: translator.stats.lostMessages,
    ...(writer ? { snapshot: sidecarName(snapshotPath(writer.path)), live: sidecarName(livePath(writer.path)) } : {}),
    ...(options.command ? { command: options.command } : {}),
    complete,
  });

  try {
    const snapshot = readProcSnapshot(nowNs);
    if (writer) {
      writer.writeSnapshot(snapshot);
      writer.writeMeta(meta(false));
    }
    translator.seed(snapshot, { reseed: false, evidenceFile: writer ? snapshotPath(writer.path) : '/proc' });
    await options.afterBatch?.();

    const handleBatch = async (batch: Awaited<ReturnType<typeof native.recv>>): Promise<void> => {
      const batchOffset = bytes;
      if (batch.data.length > 0) {
        writer?.appendRaw(batch.data);
        datagrams += batch.datagrams;
        bytes += batch.data.length;
        const decoded = decodeDatagrams(batch.data, batchOffset);
        if (!sawOwnAck) {
          // The first ack after bind is the reply to our LISTEN: the kernel builds it while
          // our send() is still in the connector callback. Acks to other listeners come later.
          const ack = decoded.events.find((e) => e.what === 'ack');
          if (ack?.what === 'ack') {
            sawOwnAck = true;
            if (ack.err !== 0) {
              throw new UserError(
                `the kernel refused the proc connector subscription (errno ${ack.err}): it needs root or CAP_NET_ADMIN on this kernel`,
              );
            }
          }
        }
        for (const problem of decoded.problems) {
          options.sink.onWarning({ reason: problem.reason, detail: problem.detail, position: { file: evidenceFile, offset: problem.offset } });
        }
        translator.pushBatch(decoded.events);
      }
      if (batch.enobufs > 0) {
        // The kernel dropped messages; the sequence gaps in this and later batches count
        // them exactly. Re-seed so processes born or dead in the gap are right again.
        enobufs += batch.enobufs;
        const atNs = nowNs();
        record?.({ type: 'loss', offset: bytes, atNs: atNs.toString(), enobufs: batch.enobufs });
        translator.reportLoss(atNs, `proc connector receive queue overflowed (ENOBUFS x${batch.enobufs}); re-seeded from /proc`);
        const reseed = readProcSnapshot(nowNs);
        record?.({ type: 'reseed', offset: bytes, snapshot: reseed });
        translator.seed(reseed, { reseed: true, evidenceFile: '/proc', offset: bytes });
      }
      writer?.flushLive();
      await options.afterBatch?.();
    };

    while (!options.signal.aborted) await handleBatch(await native.recv(socket.fd, BATCH_BYTES, POLL_WAIT_MS));
    // Drain what the kernel queued before we stop listening (bounded: a busy machine
    // never stops producing).
    for (let round = 0; round < MAX_DRAIN_BATCHES; round++) {
      const batch = await native.recv(socket.fd, BATCH_BYTES, 0);
      if (batch.data.length === 0 && batch.enobufs === 0) break;
      await handleBatch(batch);
    }
  } finally {
    native.close(socket.fd);
    if (writer) {
      writer.close();
      writer.writeMeta(meta(true));
    }
  }
  return { startNs, endNs: nowNs(), datagrams, bytes, enobufs, rcvbufBytes: socket.rcvbufBytes, stats: translator.stats };
}

function readBootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return '';
  }
}
