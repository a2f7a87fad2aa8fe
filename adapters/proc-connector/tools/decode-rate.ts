/**
 * Decode and translate throughput on real captures (prints figures; no assertions):
 *
 *   node dist/adapters/proc-connector/tools/decode-rate.js [--repeat 50] FILE.cap...
 *
 * The captures are concatenated and decoded REPEAT times (decodeDatagrams alone), then
 * translated once per repeat into ProcEvents with a counting sink (no /proc reads).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { decodeDatagrams } from '../decode-datagram.js';
import { ConnectorTranslator } from '../to-proc-events.js';

const { values, positionals } = parseArgs({ options: { repeat: { type: 'string', default: '50' } }, allowPositionals: true });
const repeat = Number(values.repeat);
const data = Buffer.concat(positionals.map((p) => readFileSync(p)));

let messages = 0;
let t0 = process.hrtime.bigint();
for (let i = 0; i < repeat; i++) messages += decodeDatagrams(data).events.length;
const decodeS = Number(process.hrtime.bigint() - t0) / 1e9;

const decoded = decodeDatagrams(data).events;
let events = 0;
t0 = process.hrtime.bigint();
for (let i = 0; i < repeat; i++) {
  const translator = new ConnectorTranslator(
    { onEvent: () => events++, onWarning: () => {} },
    { file: 'bench', monotonicToRealtimeNs: 0n, images: { imageAtExec: () => ({ image: {} }) }, reapers: { newParent: () => ({ ppid: 1, how: 'bench' }) } },
  );
  translator.pushBatch(decoded);
}
const translateS = Number(process.hrtime.bigint() - t0) / 1e9;
const mb = (data.length * repeat) / 1e6;
process.stdout.write(
  JSON.stringify(
    {
      inputBytes: data.length,
      repeat,
      decode: { messages, seconds: +decodeS.toFixed(3), messagesPerSecond: Math.round(messages / decodeS), mbPerSecond: +(mb / decodeS).toFixed(1) },
      translate: { events, seconds: +translateS.toFixed(3), messagesPerSecond: Math.round(messages / translateS) },
    },
    null,
    2,
  ) + '\n',
);
