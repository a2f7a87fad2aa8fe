import { parentPort, workerData } from 'node:worker_threads';
import { encodeEvents } from './event-batch-codec.js';
import { ParseStage, type StageBatch, type StageSource } from './parse-stage.js';

/**
 * Worker-thread side of the parse stage (see parse-client.ts): one message in, one batch
 * out, in order. Events travel as structured clones; input pieces arrive transferred.
 */
export type ParseCommand = { op: 'open'; source: StageSource } | { op: 'push'; chunk: Uint8Array } | { op: 'end' } | { op: 'finish' };

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
        case 'finish':
          batch = stage.finish();
          break;
      }
    } catch (error) {
      port.postMessage({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      return;
    }
    // Events as one flat array (see event-batch-codec.ts), decoded by parse-client.ts.
    batch.encoded = encodeEvents(batch.events);
    batch.events = [];
    port.postMessage(batch);
  });
}
