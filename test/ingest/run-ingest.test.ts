import { spawn } from 'node:child_process';
import { appendFileSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ancestryAt } from '../../src/history/ancestry-at.js';
import { openHistoryStore } from '../../src/history/open-history-store.js';
import { timeline } from '../../src/history/timeline.js';
import { runIngest } from '../../src/ingest/run-ingest.js';
import { parseTimeNs } from '../../src/time/parse-time.js';
import { repoRoot } from '../support/truth.js';
import { canonicalDump } from './canonical-dump.js';
import { killOnceCommitted } from './kill-once-committed.js';

const laurel = resolve(repoRoot, '..', 'shared', 'corpus', 'public', 'laurel');
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'proc-tree-ingest-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
const freshDb = (): string => join(dir, `h${++n}.db`);
const chain = async (db: string, pid: number, at: string): Promise<number[]> => {
  const store = await openHistoryStore(db);
  try {
    return (await ancestryAt(store, { pid, atNs: parseTimeNs(at) })).chain.map((l) => l.pid);
  } finally {
    await store.close();
  }
};

describe('ingest of real third-party traces (laurel)', () => {
  it('builds the shell pipeline ancestry from the ppid of each record', async () => {
    const db = freshDb();
    await runIngest({ db, inputs: [join(laurel, 'shell-proc-trace.txt')] });
    // sed (71509) was forked by the subshell 71506, itself forked by the script shell 71505 from bash 71432.
    expect(await chain(db, 71509, '1682609045.540')).toEqual([71509, 71506, 71505, 71432, 3505]);
  });

  it('records the orphan of fork-sleep-exec.txt as reparented to init, not as a new process', async () => {
    const db = freshDb();
    await runIngest({ db, inputs: [join(laurel, 'fork-sleep-exec.txt')] });
    expect(await chain(db, 1578540, '1783860945.368')).toEqual([1578540, 1]);
    const store = await openHistoryStore(db);
    const t = await timeline(store, { pid: 1578540 });
    await store.close();
    expect(t.entries).toHaveLength(1);
    expect(t.entries[0]!.parents.map((p) => [p.ppid, p.kind])).toEqual([
      [1578539, 'seen'],
      [1, 'reparent'],
    ]);
  });

  it('does not give a reused pid the parent of its previous holder (shell-proc-trace-confusion.txt)', async () => {
    const db = freshDb();
    await runIngest({ db, inputs: [join(laurel, 'shell-proc-trace-confusion.txt')] });
    // `id` (2656) was forked by tcsh 2655, which 2542 had just forked; the old 2655 was `rm` under 2643.
    const got = await chain(db, 2656, '1697091526.358');
    expect(got.slice(0, 3)).toEqual([2656, 2655, 2542]);
    expect(got).not.toContain(2643);
    expect(await chain(db, 2655, '1697091526.000')).toEqual([2655, 2643]);
  });

  it('ingests every laurel trace without an error', async () => {
    for (const name of ['shell-proc-trace-reordered.txt', 'proc-trace-dpkg-l.txt', 'record-execve-long.txt', 'record-perl-reverse-shell.txt', 'record-weblogic.txt']) {
      const summary = await runIngest({ db: freshDb(), inputs: [join(laurel, name)] });
      expect(summary.lines).toBeGreaterThan(0);
    }
  });
});

describe('damaged input', () => {
  it('keeps what a cut-short .gz held, reports it, and goes on with the next input', async () => {
    const { gzipSync } = await import('node:zlib');
    const logs = join(dir, 'damaged');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(logs, { recursive: true });
    const gz = gzipSync(readFileSync(join(laurel, 'shell-proc-trace-confusion.txt')));
    writeFileSync(join(logs, 'audit.log.1.gz'), gz.subarray(0, Math.floor(gz.length / 2)));
    copyFileSync(join(laurel, 'shell-proc-trace.txt'), join(logs, 'audit.log'));
    const db = freshDb();
    const summary = await runIngest({ db, inputs: [logs] });
    expect(summary.skipped['damaged-input']).toBe(1);
    expect(summary.inputs[0]!.note).toMatch(/unexpected end of file/);
    expect(summary.inputs[0]!.lines).toBeGreaterThan(0);
    expect(summary.inputs[1]!.lines).toBeGreaterThan(0);
    expect(await chain(db, 71509, '1682609045.540')).toEqual([71509, 71506, 71505, 71432, 3505]);
  });

  it('keeps an earlier input when a later .gz breaks inside its first bytes (damage while sniffing)', async () => {
    const { gzipSync } = await import('node:zlib');
    const gz = gzipSync(readFileSync(join(laurel, 'shell-proc-trace-confusion.txt')));
    const broken = join(dir, 'cut-early.log.gz');
    writeFileSync(broken, gz.subarray(0, 300)); // a few hundred decoded bytes, then EOF
    const db = freshDb();
    const summary = await runIngest({ db, inputs: [join(laurel, 'shell-proc-trace.txt'), broken] });
    expect(summary.skipped['damaged-input']).toBe(1);
    expect(summary.inputs[1]!.note).toMatch(/unexpected end of file/);
    expect(await chain(db, 71509, '1682609045.540')).toEqual([71509, 71506, 71505, 71432, 3505]);
  });
});

describe('rotated logs compressed after they were ingested', () => {
  it('recognises audit.log.2.gz as the audit.log.1 it read before: nothing is read or stored twice', async () => {
    const busy = join(repoRoot, 'samples', 'auditd', 'busy-machine-rotation', 'logs');
    const { mkdirSync, renameSync, unlinkSync } = await import('node:fs');
    const { gzipSync } = await import('node:zlib');
    /** Two ingests of a directory with a logrotate rotation in between, compressing or not. */
    const rotateAndIngest = async (compress: boolean) => {
      const logs = join(dir, compress ? 'logrotate-gz' : 'logrotate-plain');
      mkdirSync(logs);
      copyFileSync(join(busy, 'audit.log.2'), join(logs, 'audit.log.1'));
      copyFileSync(join(busy, 'audit.log.1'), join(logs, 'audit.log'));
      const db = freshDb();
      await runIngest({ db, inputs: [logs] });
      if (compress) {
        writeFileSync(join(logs, 'audit.log.2.gz'), gzipSync(readFileSync(join(logs, 'audit.log.1'))));
        unlinkSync(join(logs, 'audit.log.1'));
      } else renameSync(join(logs, 'audit.log.1'), join(logs, 'audit.log.2'));
      renameSync(join(logs, 'audit.log'), join(logs, 'audit.log.1'));
      copyFileSync(join(busy, 'audit.log'), join(logs, 'audit.log'));
      const second = await runIngest({ db, inputs: [logs] });
      return { second, dump: JSON.stringify(canonicalDump(db)).replaceAll(logs, 'LOGS') };
    };
    const gz = await rotateAndIngest(true);
    const plain = await rotateAndIngest(false);
    expect(gz.second.inputs.map((i) => [i.path.replace(/.*\//, ''), i.bytes])).toEqual([
      ['audit.log.2.gz', 0],
      ['audit.log.1', 0],
      ['audit.log', readFileSync(join(busy, 'audit.log')).length],
    ]);
    expect(gz.dump).toEqual(plain.dump);
  });
});

describe('several hosts in one stream', () => {
  it('keeps node= hosts apart: the same pid on two hosts has two histories', async () => {
    // A derived copy of one real trace written as if two hosts logged it (node=a, node=b),
    // the second shifted by one pid so the chains differ.
    const text = readFileSync(join(laurel, 'shell-proc-trace.txt'), 'latin1')
      .split('\n')
      .filter((l) => l.startsWith('type='));
    const shifted = text.map((l) => `node=b ${l.replace(/\b(pid|ppid|exit)=(7\d{4})\b/g, (_m, k: string, v: string) => `${k}=${Number(v) + 1}`)}`);
    const mixed = join(dir, 'two-hosts.log');
    writeFileSync(mixed, text.map((l, i) => `node=a ${l}\n${shifted[i]}\n`).join(''), 'latin1');
    const db = freshDb();
    await runIngest({ db, inputs: [mixed] });
    const store = await openHistoryStore(db);
    try {
      expect(await store.read((r) => r.hosts())).toEqual(['a', 'b']);
      const at = parseTimeNs('1682609045.540');
      expect((await ancestryAt(store, { host: 'a', pid: 71509, atNs: at })).chain.map((l) => l.pid)).toEqual([71509, 71506, 71505, 71432, 3505]);
      expect((await ancestryAt(store, { host: 'b', pid: 71510, atNs: at })).chain.map((l) => l.pid)).toEqual([71510, 71507, 71506, 71433, 3505]);
      // 71507 is `grep` on host a and the subshell on host b: never mixed.
      expect((await ancestryAt(store, { host: 'a', pid: 71507, atNs: at })).chain[1]!.pid).toBe(71505);
      await expect(ancestryAt(store, { host: 'b', pid: 71432, atNs: at })).rejects.toThrow(/no process with pid 71432/);
    } finally {
      await store.close();
    }
  });
});

describe('idempotent and resumable ingest', () => {
  it('changes nothing when the same input is ingested again', async () => {
    const db = freshDb();
    const input = join(laurel, 'shell-proc-trace-confusion.txt');
    await runIngest({ db, inputs: [input] });
    const before = canonicalDump(db);
    const again = await runIngest({ db, inputs: [input] });
    expect(canonicalDump(db)).toEqual(before);
    expect(again.inputs[0]!.status).toBe('already-ingested');
    expect(again.lines).toBe(0);
  });

  it('continues an appended log where it stopped and ends like a single ingest of the whole', async () => {
    const whole = readFileSync(join(laurel, 'shell-proc-trace-confusion.txt'));
    const cut = whole.indexOf('\n', Math.floor(whole.length / 2)) + 1;
    const growing = join(dir, 'growing.log');
    writeFileSync(growing, whole.subarray(0, cut));
    const db = freshDb();
    await runIngest({ db, inputs: [growing] });
    appendFileSync(growing, whole.subarray(cut));
    const second = await runIngest({ db, inputs: [growing] });
    expect(second.inputs[0]!.status).toBe('resumed');
    expect(second.inputs[0]!.fromOffset).toBeGreaterThan(0);
    expect(second.inputs[0]!.fromOffset).toBeLessThanOrEqual(cut);

    const reference = freshDb();
    await runIngest({ db: reference, inputs: [growing] });
    expect(canonicalDump(db)).toEqual(canonicalDump(reference));
  });

  it('loses nothing when killed with SIGKILL mid-run and ends like an uninterrupted run after a re-run', async () => {
    const logs = join(repoRoot, 'samples', 'auditd', 'busy-machine-rotation', 'logs');
    const input = join(dir, 'busy');
    rmSync(input, { recursive: true, force: true });
    // A private copy: the capture folder may be re-recorded while tests run.
    const { mkdirSync, readdirSync } = await import('node:fs');
    mkdirSync(input);
    for (const f of readdirSync(logs)) copyFileSync(join(logs, f), join(input, f));

    const reference = freshDb();
    await runIngest({ db: reference, inputs: [input], commitEveryLines: 300 });

    const db = freshDb();
    const killedMidRun = await runAndKill(db, input);
    expect(killedMidRun).toBe(true);
    const rerun = await runIngest({ db, inputs: [input], commitEveryLines: 300 });
    // What the killed run committed is recognised: re-read events are skipped, not duplicated.
    expect(rerun.alreadyStored).toBeGreaterThan(0);
    expect(canonicalDump(db)).toEqual(canonicalDump(reference));
  }, 120_000);
});

/** Runs the real CLI and SIGKILLs it once committed data is visible; true when it had not finished. */
async function runAndKill(db: string, input: string): Promise<boolean> {
  const cli = join(repoRoot, 'dist', 'src', 'cli', 'main.js');
  const child = spawn(process.execPath, [cli, 'ingest', '--db', db, '--commit-every', '300', input], { stdio: 'ignore' });
  const exited = new Promise<void>((done) => child.on('exit', () => done()));
  return killOnceCommitted(child, exited, db);
}
