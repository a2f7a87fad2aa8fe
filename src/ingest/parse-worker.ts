import { parentPort, workerData } from 'node:worker_threads';
import { encodeEvents, transferablesOf } from './event-batch-codec.js';
import { ParseStage, type StageBatch, type StageSource } from './parse-stage.js';

/**
 * Worker-thread side of the parse stage (see parse-client.ts): one message in, one batch
 * out, in order. Input pieces arrive transferred; events leave encoded (event-batch-codec.ts).
 */
export type ParseCommand = { op: 'open'; source: StageSource } | { op: 'push'; chunk: Uint8Array } | { op: 'end' } | { op: 'flush'; holdUnfinished: boolean } | { op: 'finish' };

const port = parentPort;
if (port !== null) {
  const stage = new ParseStage((workerData as { host?: string }).host);
  port.on('message', (cmd: ParseCommand) => {
    let batch: StageBatch | undefined;
    try {
      switch (cmd.op) {
        case 'open':
          stage.open(cmd.source);
          return;
        case 'push':
          batch = stage.push(cmd.chunk);
          break;
        case 'end':
          batch = stage.end();
          break;
        case 'flush':
          batch = stage.flushOpen(cmd.holdUnfinished);
          break;
        case 'finish':
          batch = stage.finish();
          break;
      }
    } catch (error) {
      port.postMessage({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      return;
    }
    // Events as typed slots + a string table (see event-batch-codec.ts), decoded by
    // parse-client.ts; the slots' buffer is transferred, not copied.
    const encoded = encodeEvents(batch.events);
    batch.encoded = encoded;
    batch.events = [];
    port.postMessage(batch, transferablesOf(encoded));
  });
}
