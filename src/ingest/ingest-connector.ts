import { captureHost, readProcConnectorCapture } from '../../adapters/proc-connector/read-capture.js';
import type { EventSink } from '../events/event-sink.js';
import type { InputReport } from './ingest-summary.js';
import type { IngestSession } from './ingest-session.js';
import type { PlannedInput } from './plan-inputs.js';
import { sameContentNote } from './same-content-note.js';
import { sha256, type SourceInfo, type SourceKey } from './source-registry.js';

export interface ConnectorOptions {
  host?: string;
  /** Wall-clock ns at boot (overrides the capture's meta file). */
  bootTimeNs?: bigint;
}

/**
 * A connector capture is replayed in two passes by its adapter, so it is ingested in one
 * transaction: all of it or (killed) nothing. Once complete it is recognised and skipped.
 */
export async function ingestConnectorCapture(session: IngestSession, input: PlannedInput, options: ConnectorOptions): Promise<void> {
  const key: SourceKey = { hostId: session.defaultHostId, format: 'proc-connector', headSha256: sha256(input.head!), headBytes: input.head!.length, head: input.head! };
  const found = session.registry.find(key);
  const report: InputReport = { path: input.path, format: 'proc-connector', status: 'read', fromOffset: 0, bytes: 0, lines: 0 };
  session.reports.push(report);
  if (found?.complete) {
    report.status = found.size === input.size ? 'already-ingested' : 'skipped';
    const same = sameContentNote(input.path, found);
    if (same !== undefined && found.size === input.size) report.note = same;
    if (found.size !== input.size) {
      report.note = 'the capture grew since it was ingested; a capture is ingested whole, once: ingest a new capture file instead';
      session.warn({ reason: 'capture-grew', detail: input.path });
    }
    return;
  }
  const info: SourceInfo = { path: input.path };
  if (input.size !== undefined) info.size = input.size;
  if (input.dev !== undefined) info.dev = input.dev;
  if (input.inode !== undefined) info.inode = input.inode;
  // The capture is replayed synchronously: its host is taken before (PostgreSQL: writer lock).
  const takeHost = session.history.prepareHosts([{ host: captureHost(input.path, options.host) }]);
  if (takeHost !== undefined) await takeHost();
  session.history.begin();
  const row = found ?? session.registry.create(key, info, session.nowNs);
  session.sources.name(input.path, row.id);
  const sink: EventSink = { onEvent: session.store, onWarning: session.warn };
  const replay = await readProcConnectorCapture(input.path, sink, {
    ...(options.bootTimeNs !== undefined ? { bootTimeNs: options.bootTimeNs } : {}),
    ...(options.host !== undefined ? { host: options.host } : {}),
  });
  report.bytes = replay.bytes;
  report.hasRecords = (replay.damagedAt ?? replay.bytes) > 0;
  if (replay.damagedAt !== undefined) {
    report.note = `damaged from byte ${replay.damagedAt}: ingested up to there`;
    report.unread = report.note;
  }
  session.registry.commit(row.id, replay.damagedAt ?? replay.bytes, undefined, true, key, info, session.nowNs, {});
  await session.commitRows();
}
