import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { locateHistory } from '../../history/open-history-store.js';
import { openStore, parseAtArg, parsePid, parseQueryArgs } from '../../history/query-cli-args.js';
import { reportData } from '../../history/report-data.js';
import { renderReport } from '../../report/render-report.js';
import type { Command } from '../command.js';
import { UsageError, UserError } from '../user-error.js';

const USAGE = [
  'usage: proc-tree report PID --at TIME [--db FILE] [--host NAME] [-o FILE.html]',
  '',
  'One self-contained HTML page for the case file: the ancestry of PID at TIME (self first: pid, executable,',
  'arguments, user, start, how its parent became known, uncertainty marked), the processes alive then under',
  'its oldest recorded ancestor (times, exit codes, reparentings; filter box, open/close subtrees, zoom), and',
  'every fact with its record (file:line, audit id). No network is used to view it (CSS and script inline).',
  '',
  '  --at TIME     epoch seconds, ISO-8601 with a zone, or an audit event id (audit(1697091526.357:2638035))',
  '  -o FILE       write the page there (default: stdout)',
  '  --db FILE|URL history: a SQLite file or postgres:// URL (default: PROC_TREE_DB, PG*, ./proc-tree.db)',
  '  --host NAME   which host, when the database holds several',
  '',
  'example:',
  '  proc-tree report 4516 --at 1795589311.445620051 -o 4516.html',
].join('\n');

/** Our own version, for the page header: the nearest proc-tree package.json above this module (dist/ or src/). */
function ownVersion(): string {
  for (let url = new URL('./', import.meta.url); url.pathname !== '/'; url = new URL('../', url)) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'proc-tree') return pkg.version ?? 'unknown';
    } catch {
      // not here: look one level up
    }
  }
  return 'unknown';
}

/** The history for the header: the file, or the PostgreSQL URL without its password. */
function historyName(db: string | undefined): string {
  const where = locateHistory(db);
  if (where.backend === 'sqlite') return where.path;
  if (where.url === '') return 'PostgreSQL (PG* environment)';
  try {
    const url = new URL(where.url);
    if (url.password !== '') url.password = '***';
    return url.toString();
  } catch {
    return 'PostgreSQL';
  }
}

const command: Command = {
  summary: 'self-contained HTML page: ancestry, tree and evidence of a pid at a past time',
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseQueryArgs(args, { at: { type: 'string' }, output: { type: 'string', short: 'o' } }, USAGE);
    if (positionals.length !== 1) throw new UsageError(`expected one PID\n${USAGE}`);
    const pid = parsePid(positionals[0], USAGE);
    const at = values.at as string | undefined;
    if (at === undefined) throw new UsageError(`--at TIME is required\n${USAGE}`);
    const { atNs, atSerial } = parseAtArg(at);
    const store = await openStore(values.db);
    let html: string;
    try {
      const data = await reportData(store, {
        pid,
        atNs,
        ...(atSerial !== undefined ? { atSerial } : {}),
        ...(values.host !== undefined ? { host: values.host } : {}),
      });
      html = renderReport(data, { db: historyName(values.db), version: ownVersion(), asked: `report ${pid} --at ${at}` });
    } finally {
      await store.close();
    }
    const out = values.output as string | undefined;
    if (out === undefined) {
      io.stdout.write(html);
      return 0;
    }
    // Whole or nothing: a half-written page must not pass for a report.
    const tmp = `${out}.tmp-${process.pid}`;
    try {
      writeFileSync(tmp, html);
      renameSync(tmp, out);
    } catch (err) {
      throw new UserError(`cannot write ${out}: ${(err as NodeJS.ErrnoException).code ?? String(err)}: choose a writable path with -o`);
    }
    io.stderr.write(`report written to ${out} (${Buffer.byteLength(html)} bytes)\n`);
    return 0;
  },
};

export default command;
