import { basename } from 'node:path';
import type { ProcessImage } from '../../src/events/proc-event.js';
import type { ProcSnapshot } from './proc-snapshot.js';

/**
 * A capture is four files side by side:
 * - FILE               raw netlink datagrams, concatenated exactly as received
 * - FILE.meta.json     CaptureMeta (clock offset, host, kernel, boot id, counts)
 * - FILE.snapshot.json ProcSnapshot taken right after subscribing (names of old processes)
 * - FILE.live.ndjson   LiveRecord lines: what the capture read from /proc while it ran
 *                      (exec images, reparent targets, overflows and re-seeds), which a
 *                      replay cannot learn from the datagrams alone.
 * Only FILE is required for replay (with --boot-time); the others add names and context.
 */
export const CAPTURE_FORMAT = 'proc-tree/proc-connector-capture';
export const CAPTURE_FORMAT_VERSION = 1;

export interface CaptureMeta {
  format: typeof CAPTURE_FORMAT;
  version: number;
  /** Wall-clock ns minus CLOCK_MONOTONIC ns at capture start (decimal string). */
  monotonic_to_realtime_ns: string;
  host: string;
  kernel: string;
  bootId: string;
  /** Wall-clock ns when the subscription started / ended (decimal strings). */
  startNs: string;
  endNs?: string;
  /** Actual SO_RCVBUF granted by the kernel. */
  rcvbufBytes: number;
  datagrams: number;
  bytes: number;
  /** ENOBUFS errors (receive-queue overflows) seen while capturing. */
  enobufs: number;
  /** Messages known lost from per-CPU sequence gaps. */
  lostMessages: number;
  /** Sidecar file names, relative to the capture's directory. */
  snapshot?: string;
  live?: string;
  /** The command line that made the capture. */
  command?: string[];
  /** False while the capture runs; true after a clean stop (SIGINT/SIGTERM/--duration). */
  complete: boolean;
}

export type LiveRecord =
  | { type: 'exec'; offset: number; id: string; pid: number; image: ProcessImage; missed?: string }
  | { type: 'reparent'; offset: number; id: string; pid: number; exitingPid: number; ppid: number; how: string }
  | { type: 'loss'; offset: number; atNs: string; enobufs: number }
  | { type: 'reseed'; offset: number; snapshot: ProcSnapshot };

export function metaPath(capture: string): string {
  return `${capture}.meta.json`;
}
export function snapshotPath(capture: string): string {
  return `${capture}.snapshot.json`;
}
export function livePath(capture: string): string {
  return `${capture}.live.ndjson`;
}
export function sidecarName(path: string): string {
  return basename(path);
}
