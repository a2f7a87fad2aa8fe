import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../src/cli/user-error.js';

/** One batch of datagrams drained from the socket by a threadpool worker. */
export interface RecvBatch {
  /** Whole netlink datagrams, concatenated exactly as received. */
  data: Buffer;
  datagrams: number;
  /** recv() reported ENOBUFS this many times: the kernel dropped messages for us. */
  enobufs: number;
  /** Datagrams not sent by the kernel (netlink port id != 0), dropped unread. */
  foreign: number;
  /** Datagrams cut short because the batch buffer was full (never expected). */
  truncated: number;
}

/** The native addon's surface (adapters/proc-connector/native/proc_connector.c). */
export interface ProcConnectorNative {
  /** Opens, binds to CN_IDX_PROC and subscribes. Throws with code EPERM without CAP_NET_ADMIN. */
  open(rcvbufBytes: number): { fd: number; rcvbufBytes: number; forced: boolean };
  /** Waits up to waitMs for data, then drains up to maxBytes without blocking. */
  recv(fd: number, maxBytes: number, waitMs: number): Promise<RecvBatch>;
  /** Unsubscribes (PROC_CN_MCAST_IGNORE) and closes. */
  close(fd: number): void;
  /** CLOCK_REALTIME - CLOCK_MONOTONIC in ns, measured to about a microsecond. */
  monotonicToRealtimeNs(): bigint;
}

const ADDON_RELATIVE_PATH = join('build', 'Release', 'proc_connector.node');

let cached: ProcConnectorNative | undefined;

/**
 * Loads the addon that `npm ci` builds from the repo-root binding.gyp. Searched upwards
 * from this file because the same module runs from adapters/ (tests) and dist/adapters/.
 */
export function loadProcConnectorNative(): ProcConnectorNative {
  if (cached) return cached;
  const here = dirname(fileURLToPath(import.meta.url));
  let dir = here;
  for (let depth = 0; depth < 6; depth++) {
    const candidate = join(dir, ADDON_RELATIVE_PATH);
    if (existsSync(candidate)) {
      cached = createRequire(import.meta.url)(candidate) as ProcConnectorNative;
      return cached;
    }
    dir = dirname(dir);
  }
  throw new UserError(
    `the proc connector addon (${ADDON_RELATIVE_PATH}) is not built: run 'npm ci' (or 'npx node-gyp rebuild') in the proc-tree directory; it needs a C compiler, make and python3`,
  );
}

/** True when the error is the addon's "needs root or CAP_NET_ADMIN" failure. */
export function isPermissionError(error: unknown): boolean {
  return error instanceof Error && 'code' in error && (error as NodeJS.ErrnoException).code === 'EPERM';
}
