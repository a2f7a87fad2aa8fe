/**
 * What `proc-tree push` costs on a large history: a synthetic log (bench/generate-audit-log.ts)
 * cut at 90%, the first part ingested into SQLite and pushed (full push), the rest appended,
 * ingested and pushed (incremental: new rows + rows the ingest changed), then pushed again
 * (nothing new). Each push runs as the CLI under GNU time against a throwaway PostgreSQL
 * cluster started here (the tests' one: test/support/postgres-cluster.ts).
 *
 *   node dist/bench/push-bench.js [--size-mb 1000] [--to postgres://...]
 *
 * Client CPU-s are the push process's alone; the server (COPY, index builds) shares the
 * machine's cores, so wall time on a loaded machine is mostly the server's.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { initTemplate, startCluster, type PostgresCluster } from '../test/support/postgres-cluster.js';
import { measureCommand } from './harness/measure-command.js';
import { ProcTreeCli } from './harness/proc-tree-cli.js';
import { renderTable } from './harness/text-table.js';

interface PushJson {
  added: Record<string, number>;
  updated: Record<string, number>;
  seconds: number;
}

const sum = (c: Record<string, number>): number => Object.values(c).reduce((a, b) => a + b, 0);
const n = (x: number): string => Math.round(x).toLocaleString('en-US');

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'size-mb': { type: 'string', default: '1000' }, to: { type: 'string' } } });
  const here = dirname(fileURLToPath(import.meta.url));
  const repoRoot = resolve(here, '..', '..');
  const cli = new ProcTreeCli(repoRoot);
  const dir = mkdtempSync(join(tmpdir(), 'proc-tree-push-bench-'));
  let cluster: PostgresCluster | undefined;
  try {
    let to = values.to;
    if (to === undefined) {
      const template = initTemplate();
      cluster = await startCluster(template.dataDir, false);
      to = cluster.url;
    }
    execFileSync(process.execPath, [join(here, 'generate-audit-log.js'), '--out', join(dir, 'synth'), '--size-mb', values['size-mb']!, '--format', 'raw'], { stdio: 'ignore' });
    const whole = readFileSync(join(dir, 'synth', 'audit.log'));
    const cut = whole.indexOf('\n', Math.floor(whole.length * 0.9)) + 1;
    const log = join(dir, 'audit.log');
    const db = join(dir, 'local.db');
    writeFileSync(log, whole.subarray(0, cut));
    const ingest = (): void => void execFileSync(process.execPath, [cli.main, 'ingest', '--db', db, log], { stdio: 'ignore' });
    const rows: string[][] = [];
    const push = async (what: string): Promise<void> => {
      const run = await measureCommand(cli.argv(['push', '--db', db, '--to', to!, '--json']), { captureStdout: true });
      if (run.exitCode !== 0) throw new Error(`push failed: ${run.stderrTail}`);
      const s = JSON.parse(run.stdout) as PushJson;
      const written = sum(s.added) + sum(s.updated);
      rows.push([what, n(sum(s.added)), n(sum(s.updated)), run.wallS.toFixed(2), (run.userS + run.sysS).toFixed(2), written === 0 ? '-' : n(written / run.wallS), n(run.maxRssKb / 1024)]);
    };
    ingest();
    await push('first 90% of the log (full push)');
    appendFileSync(log, whole.subarray(cut));
    ingest();
    await push('last 10% appended (incremental)');
    await push('again, nothing new');
    console.log(
      renderTable({
        title: `proc-tree push: synthetic ${values['size-mb']} MB audit log into PostgreSQL`,
        header: ['push', 'rows new', 'rows updated', 'wall s', 'client CPU-s', 'rows/s (wall)', 'peak RSS MiB'],
        rows,
        notes: ['peak RSS includes the pages of the SQLite file mapped for reading (mmap), not only the heap'],
      }),
    );
  } finally {
    cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
