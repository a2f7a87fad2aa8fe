import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { openHistoryRecords } from '../../history/open-history-records.js';
import { processRecords, type ProcessRecord } from '../../history/process-records.js';
import { optionalTime, parseQueryArgs } from '../../history/query-cli-args.js';
import type { HistoryRecordsReader, TimeWindow } from '../../history/history-records.js';
import { toEcs } from '../../output/ecs-record.js';
import { csvHeader, toCsvRow } from '../../output/csv-record.js';
import { LineWriter } from '../../output/line-writer.js';
import { toTimesketch } from '../../output/timesketch-record.js';
import type { Command } from '../command.js';
import { UsageError, UserError } from '../user-error.js';
import { checkHostKnown } from '../../history/resolve-host.js';

const USAGE = [
  'usage: proc-tree export --format ecs|timesketch|csv [--db FILE|URL] [--host NAME] [--from T1] [--to T2] [-o FILE]',
  '',
  'The process history as a timeline, ordered by time: one record per fork, exec, reparenting,',
  'credential or name change and exit (and "seen" for a process that existed before its first',
  'record), each with the process and its parent as they were at that time.',
  '',
  '  --format ecs         NDJSON, Elastic Common Schema 9.x (Elasticsearch _bulk, Filebeat ndjson input)',
  '  --format timesketch  JSONL with message, datetime, timestamp_desc (timesketch_importer)',
  '  --format csv         a header row, then one row per record (RFC 4180)',
  '  --db FILE|URL        history: a SQLite file or postgres:// URL (default: PROC_TREE_DB, PG*, ./proc-tree.db)',
  '  --host NAME          only that host (default: every host, merged by time)',
  '  --from T1 --to T2    only records within [T1, T2] (TIME: epoch seconds, ISO-8601 with a zone, or an',
  '                       audit event id such as 1796280982.862:489443 or audit(...), standing for its time)',
  '  -o, --output FILE    write there instead of stdout',
  '',
  'The same database gives byte-identical output. process.entity_id is a hash of host, pid and',
  'start: the same instance has the same id in every export.',
  '',
  'examples:',
  '  proc-tree export --format ecs -o timeline.ndjson',
  '  proc-tree export --format timesketch --from 2026-11-25T14:00:00Z --to 2026-11-25T15:00:00Z -o case.jsonl',
].join('\n');

const FORMATS = {
  ecs: { header: '', line: (r: ProcessRecord) => jsonLine(toEcs(r)) },
  timesketch: { header: '', line: (r: ProcessRecord) => jsonLine(toTimesketch(r)) },
  csv: { header: csvHeader(), line: toCsvRow },
} as const;

const jsonLine = (value: unknown): string => JSON.stringify(value) + '\n';

/** Several hosts' record streams merged by time (then host name, for a fixed order). */
async function* mergedRecords(reader: HistoryRecordsReader, hosts: string[], window: TimeWindow): AsyncGenerator<ProcessRecord> {
  const streams = hosts.map((host) => processRecords(reader, { host, window }));
  const heads = await Promise.all(streams.map((s) => s.next()));
  for (;;) {
    let best = -1;
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i]!;
      if (h.done) continue;
      if (best < 0 || h.value.timeNs < (heads[best]!.value as ProcessRecord).timeNs) best = i;
    }
    if (best < 0) return;
    yield heads[best]!.value as ProcessRecord;
    heads[best] = await streams[best]!.next();
  }
}

const command: Command = {
  summary: 'the process history as an ECS, Timesketch or CSV timeline',
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseQueryArgs(
      args,
      { format: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, output: { type: 'string', short: 'o' } },
      USAGE,
    );
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'\n${USAGE}`);
    const formatName = values.format as string | undefined;
    if (formatName === undefined) throw new UsageError(`--format is required (ecs, timesketch or csv)\n${USAGE}`);
    if (!(formatName in FORMATS)) throw new UsageError(`unknown --format '${formatName}': use ecs, timesketch or csv`);
    const format = FORMATS[formatName as keyof typeof FORMATS];
    const fromNs = optionalTime(values.from as string | undefined);
    const toNs = optionalTime(values.to as string | undefined);
    if (fromNs !== undefined && toNs !== undefined && fromNs > toNs) throw new UsageError('--from must not be after --to');
    const window: TimeWindow = { ...(fromNs !== undefined ? { fromNs } : {}), ...(toNs !== undefined ? { toNs } : {}) };
    const history = await openHistoryRecords(values.db as string | undefined);
    try {
      const hosts = await history.reader.hosts();
      if (values.host !== undefined) checkHostKnown(values.host, hosts);
      const file = values.output as string | undefined;
      const out = file === undefined ? io.stdout : createWriteStream(file);
      if (file !== undefined) await once(out, 'open').catch((e: NodeJS.ErrnoException) => {
        throw new UserError(`cannot write ${file}: ${e.code === 'ENOENT' ? 'no such directory' : e.code === 'EACCES' ? 'permission denied' : e.message}`);
      });
      const writer = new LineWriter(out);
      let count = 0;
      await writer.write(format.header);
      await history.read(async (reader) => {
        for await (const record of mergedRecords(reader, values.host !== undefined ? [values.host] : hosts, window)) {
          await writer.write(format.line(record));
          count++;
        }
      });
      await writer.flush();
      if (file !== undefined) {
        (out as NodeJS.WritableStream & { end(cb: () => void): void }).end(() => undefined);
        await once(out, 'close');
      }
      io.stderr.write(`exported ${count} record(s)${file !== undefined ? ` to ${file}` : ''}\n`);
      return 0;
    } finally {
      await history.close();
    }
  },
};

export default command;
