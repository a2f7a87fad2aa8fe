import { closeSync, openSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { UserError } from '../../src/cli/user-error.js';
import type { CaptureMeta, LiveRecord } from './capture-files.js';
import { livePath, metaPath, snapshotPath } from './capture-files.js';
import type { ProcSnapshot } from './proc-snapshot.js';

/** JSON with bigint as decimal strings (ns values). */
function toJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), indent);
}

/**
 * Writes a capture (see capture-files.ts). Writes are synchronous and unbuffered on
 * purpose: a capture killed by anything but SIGKILL keeps every batch it received, and
 * the meta file is rewritten atomically so a reader never sees half of it.
 */
export class CaptureWriter {
  private readonly rawFd: number;
  private readonly liveFd: number;
  private pendingLive = '';
  /** Bytes of raw datagrams written so far: the offset of the next batch. */
  bytes = 0;

  constructor(readonly path: string) {
    try {
      this.rawFd = openSync(path, 'w');
      this.liveFd = openSync(livePath(path), 'w');
    } catch (error) {
      throw new UserError(`cannot write capture ${path}: ${(error as Error).message}`);
    }
  }

  writeMeta(meta: CaptureMeta): void {
    const target = metaPath(this.path);
    writeFileSync(`${target}.tmp`, toJson(meta, 2) + '\n');
    renameSync(`${target}.tmp`, target);
  }

  writeSnapshot(snapshot: ProcSnapshot): void {
    writeFileSync(snapshotPath(this.path), toJson(snapshot) + '\n');
  }

  appendRaw(data: Buffer): void {
    let done = 0;
    while (done < data.length) done += writeSync(this.rawFd, data, done, data.length - done);
    this.bytes += data.length;
  }

  /** Queues one sidecar line; written by flushLive() once per batch. */
  appendLive(record: LiveRecord): void {
    this.pendingLive += toJson(record) + '\n';
  }

  flushLive(): void {
    if (this.pendingLive === '') return;
    writeSync(this.liveFd, this.pendingLive);
    this.pendingLive = '';
  }

  close(): void {
    this.flushLive();
    closeSync(this.rawFd);
    closeSync(this.liveFd);
  }
}
