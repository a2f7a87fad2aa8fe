import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ParseStage, type StageBatch, type StageSource } from './parse-stage.js';
import type { ParseCommand } from './parse-worker.js';

/**
 * The ingest's handle on the parse stage. `send` queues a step; `take` returns the steps'
 * batches in order. Inline, each step runs at once in this thread; in a worker, steps run
 * on the other core while this thread writes the previous batches to SQLite, and `inFlight`
 * lets the caller bound how far the parser runs ahead (memory stays bounded).
 */
export interface ParseClient {
  readonly inFlight: number;
  open(source: StageSource): void;
  /**
   * Hands a piece of input to the parser. With `movable`, a piece that is a whole
   * ArrayBuffer of its own may be moved to the worker: the caller must not touch it after.
   */
  push(chunk: Buffer, movable?: boolean): void;
  end(): void;
  /** The input went quiet: the open events are emitted, but for unfinished ones when `holdUnfinished` (ParseStage.flushOpen). */
  flushOpen(holdUnfinished: boolean): void;
  finish(): void;
  take(): Promise<StageBatch>;
  close(): Promise<void>;
}

/** Where the parse stage runs: `auto` picks a worker for inputs of WORKER_MIN_BYTES and more. */
export type ParseIn = 'auto' | 'inline' | 'worker';
/** Below this, a worker's start-up (~50 ms) costs more than the second core gains. */
export const WORKER_MIN_BYTES = 8 << 20;
/** Worker's young generation (V8's default is 3 x 16 MiB semi-spaces on 64-bit). */
const WORKER_YOUNG_GENERATION_MB = 24;
/** Pieces the worker may be ahead by: enough to keep both threads busy. */
export const MAX_PIECES_AHEAD = 4;

const WORKER_URL = new URL('./parse-worker.js', import.meta.url);

/** False when running from TypeScript sources (vitest), where only parse-worker.ts exists. */
export function workerAvailable(): boolean {
  return existsSync(fileURLToPath(WORKER_URL));
}

export function createParseClient(where: 'inline' | 'worker', host: string | undefined): ParseClient {
  return where === 'worker' ? new WorkerParseClient(host) : new InlineParseClient(host);
}

class InlineParseClient implements ParseClient {
  private readonly stage: ParseStage;
  private readonly done: StageBatch[] = [];

  constructor(host: string | undefined) {
    this.stage = new ParseStage(host);
  }

  get inFlight(): number {
    return this.done.length;
  }
  open(source: StageSource): void {
    this.stage.open(source);
  }
  push(chunk: Buffer, _movable?: boolean): void {
    this.done.push(this.stage.push(chunk));
  }
  end(): void {
    this.done.push(this.stage.end());
  }
  flushOpen(holdUnfinished: boolean): void {
    this.done.push(this.stage.flushOpen(holdUnfinished));
  }
  finish(): void {
    this.done.push(this.stage.finish());
  }
  take(): Promise<StageBatch> {
    const b = this.done.shift();
    return b === undefined ? Promise.reject(new Error('parse stage: take() without a step')) : Promise.resolve(b);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

class WorkerParseClient implements ParseClient {
  private readonly worker: Worker;
  private readonly arrived: StageBatch[] = [];
  private waiting: { resolve: (b: StageBatch) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;
  private sent = 0;
  private taken = 0;

  constructor(host: string | undefined) {
    this.worker = new Worker(WORKER_URL, {
      workerData: host === undefined ? {} : { host },
      // The worker keeps little alive (in-flight events, bounded by the reassembler): a
      // small young generation keeps its heap, and the ingest's peak RSS, small.
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
    });
    this.worker.on('message', (m: StageBatch | { error: string }) => {
      if ('error' in m) return this.fail(new Error(`parse worker: ${m.error}`));
      // Left encoded: the ingest reads the events one by one as it applies them (EventBatchReader).
      if (this.waiting !== undefined) {
        const w = this.waiting;
        this.waiting = undefined;
        w.resolve(m);
      } else this.arrived.push(m);
    });
    this.worker.on('error', (e) => this.fail(e));
    this.worker.on('exit', (code) => {
      if (this.taken < this.sent) this.fail(new Error(`parse worker exited (code ${code}) with ${this.sent - this.taken} step(s) unanswered`));
    });
  }

  get inFlight(): number {
    return this.sent - this.taken;
  }
  open(source: StageSource): void {
    this.post({ op: 'open', source });
  }
  push(chunk: Buffer, movable = false): void {
    // A file read stream's 1 MiB chunks are ArrayBuffers of their own: moved as they are.
    // Anything else (a view into a larger or pooled buffer, a piece still referenced) is
    // copied into a buffer of its own first: posting a view would clone the whole buffer
    // behind it. allocUnsafeSlow: not zero-filled (a zeroed copy cost ~5% here).
    let own = chunk;
    if (!movable || chunk.byteOffset !== 0 || chunk.length !== chunk.buffer.byteLength) {
      own = Buffer.allocUnsafeSlow(chunk.length);
      own.set(chunk);
    }
    this.worker.postMessage({ op: 'push', chunk: own } satisfies ParseCommand, [own.buffer as ArrayBuffer]);
    this.sent++;
  }
  end(): void {
    this.post({ op: 'end' });
    this.sent++;
  }
  flushOpen(holdUnfinished: boolean): void {
    this.post({ op: 'flush', holdUnfinished });
    this.sent++;
  }
  finish(): void {
    this.post({ op: 'finish' });
    this.sent++;
  }
  take(): Promise<StageBatch> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const b = this.arrived.shift();
    if (b !== undefined) {
      this.taken++;
      return Promise.resolve(b);
    }
    return new Promise<StageBatch>((resolve, reject) => {
      this.waiting = {
        resolve: (batch) => {
          this.taken++;
          resolve(batch);
        },
        reject,
      };
    });
  }
  async close(): Promise<void> {
    await this.worker.terminate();
  }

  private post(cmd: ParseCommand): void {
    this.worker.postMessage(cmd);
  }

  private fail(e: Error): void {
    this.failure ??= e;
    const w = this.waiting;
    this.waiting = undefined;
    w?.reject(e);
  }
}
