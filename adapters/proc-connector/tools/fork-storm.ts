/**
 * Fork storm check (as root; about 20-40 s on 2 cores, so not part of `npm test`):
 *
 *   node dist/adapters/proc-connector/tools/fork-storm.js [--processes 20000] [--loops 2] [--capture FILE | --db FILE]
 *
 * Listens on the proc connector (the same pipeline `capture`/`watch` run), starts
 * PROCESSES short processes (`/bin/true` from LOOPS parallel shell loops), and reports
 * how many of them the listener saw fork, exec and exit, how many messages the kernel
 * says were lost (ENOBUFS, per-CPU sequence gaps), and the decode throughput.
 * With --db, events go through `watch`'s pipeline into a SQLite history instead, and
 * the storm's processes are counted from the database afterwards.
 * Exit status 0 when nothing was lost, 3 otherwise.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import type { ProcEvent } from '../../../src/events/proc-event.js';
import { openHistoryStore } from '../../../src/history/open-history-store.js';
import { CaptureWriter } from '../capture-writer.js';
import type { LiveSummary } from '../live-connector.js';
import { runLiveConnector } from '../live-connector.js';
import { watchIntoHistory } from '../watch-into-history.js';

const { values } = parseArgs({
  options: {
    processes: { type: 'string', default: '20000' },
    loops: { type: 'string', default: '2' },
    capture: { type: 'string' },
    db: { type: 'string' },
  },
});
const total = Number(values.processes);
const loops = Number(values.loops);
const perLoop = Math.ceil(total / loops);

const loopPids = new Set<number>();
const stormChildren = new Set<number>();
let forks = 0;
let execs = 0;
let exits = 0;
let losses = 0;
let lostCount = 0;
const onEvent = (event: ProcEvent): void => {
  switch (event.kind) {
    case 'fork':
      if (loopPids.has(event.parentPid)) {
        forks++;
        stormChildren.add(event.childPid);
      }
      break;
    case 'exec':
      if (stormChildren.has(event.pid)) execs++;
      break;
    case 'exit':
      if (stormChildren.delete(event.pid)) exits++;
      break;
    case 'loss':
      losses++;
      lostCount += event.count ?? 0;
      break;
    default:
      break;
  }
};

const controller = new AbortController();
const capturePath = values.capture;
const started = process.hrtime.bigint();
const dbPath = values.db;
const running: Promise<LiveSummary> = dbPath
  ? watchIntoHistory({ db: dbPath, signal: controller.signal, onLoss: (e) => onEvent(e) }).then((w) => w.live)
  : runLiveConnector({ sink: { onEvent, onWarning: () => {} }, signal: controller.signal, ...(capturePath ? { openWriter: () => new CaptureWriter(capturePath) } : {}) });
await new Promise((r) => setTimeout(r, 500)); // subscribed and seeded

const stormStart = process.hrtime.bigint();
const children = [];
for (let i = 0; i < loops; i++) {
  const child = spawn('/bin/bash', ['-c', `for ((i = 0; i < ${perLoop}; i++)); do /bin/true; done`], { stdio: 'ignore' });
  loopPids.add(child.pid!);
  children.push(once(child, 'exit'));
}
await Promise.all(children);
const stormSeconds = Number(process.hrtime.bigint() - stormStart) / 1e9;
await new Promise((r) => setTimeout(r, 1000)); // let the listener drain
controller.abort();
const summary = await running;
const seconds = Number(process.hrtime.bigint() - started) / 1e9;

if (dbPath) {
  // Count the storm's processes from what watch stored.
  const store = await openHistoryStore(dbPath);
  await store.read(async (r) => {
    for (const loopPid of loopPids) {
      for (const loop of await r.instancesOfPid('', loopPid)) {
        for (const child of await r.childrenOf(loop.id)) {
          forks++;
          if (child.endNs !== undefined) exits++;
          if ((await r.images(child.id)).some((image) => image.kind === 'exec')) execs++;
        }
      }
    }
  });
  await store.close();
}

const report = {
  via: dbPath ? `watch -> ${dbPath}` : 'live pipeline, counting sink',
  processesStarted: perLoop * loops,
  stormSeconds: Number(stormSeconds.toFixed(2)),
  processesPerSecond: Math.round((perLoop * loops) / stormSeconds),
  seenForks: forks,
  seenExecs: execs,
  seenExits: exits,
  datagrams: summary.datagrams,
  bytes: summary.bytes,
  rcvbufBytes: summary.rcvbufBytes,
  enobufs: summary.enobufs,
  lostMessages: summary.stats.lostMessages,
  lossEvents: losses,
  lossEventCounts: lostCount,
  execImagesMissed: summary.stats.execImagesMissed,
  listenerSeconds: Number(seconds.toFixed(2)),
};
process.stdout.write(JSON.stringify(report, null, 2) + '\n');
process.exit(summary.enobufs === 0 && summary.stats.lostMessages === 0 ? 0 : 3);
