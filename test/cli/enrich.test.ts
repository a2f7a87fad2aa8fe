/**
 * `proc-tree enrich` on the real captures in samples/auditd: every audit event comes out
 * exactly once (checked against an independent reader of the logs, test/support/audit-records.ts),
 * the chain given for events of probed processes is the one /proc showed around that time,
 * the output is byte-identical across runs, --types filters, entity ids are export's, the
 * ECS form uses ECS fields, and damaged lines are counted with their position.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanAuditLogs, type AuditLine } from '../support/audit-records.js';
import { EXIT_IN_PROGRESS_NS, knowable } from '../support/probe-truth.js';
import { listAuditdCaptures, type Capture, type TruthProbe } from '../support/truth.js';
import { ecsViolations, loadEcsFields } from '../output/ecs-field-table.js';
import { cliInProcess } from './cli-in-process.js';

type Doc = Record<string, any>;

const dir = mkdtempSync(join(tmpdir(), 'proc-tree-enrich-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const captures = listAuditdCaptures();
const byName = (name: string): Capture => {
  const c = captures.find((x) => x.meta.name === name);
  if (c === undefined) throw new Error(`samples/auditd/${name} is missing`);
  return c;
};

const parseLines = (text: string): Doc[] => text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Doc);

/** `SEC.MS:SERIAL` of a record, as the log writes it. */
function auditId(r: AuditLine): string {
  const ms = r.timeNs / 1_000_000n;
  return `${ms / 1000n}.${(ms % 1000n).toString().padStart(3, '0')}:${r.serial}`;
}

/** Distinct events of the logs (host + audit id), each with its record types, by the independent reader. */
function eventsOf(capture: Capture): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of scanAuditLogs(capture.logFiles).records) {
    const key = `${r.node ?? ''} ${auditId(r)}`;
    (out.get(key) ?? out.set(key, []).get(key)!).push(r.type);
  }
  return out;
}

const keyOf = (d: Doc): string => `${d.host?.name ?? ''} ${d.event.id}`;

async function enrich(capture: Capture, db: string, ...extra: string[]): Promise<{ code: number; out: string; err: string }> {
  return cliInProcess('enrich', capture.logDir, '--db', db, ...extra);
}

/**
 * The chain /proc showed at time t for the process `pid`: known when a probe before t and
 * one at least EXIT_IN_PROGRESS_NS after it show the same instance with the same chain of
 * pids (pids of a chain never change back, and an exit stamped before t has finished by
 * then). Undefined when the probes do not pin it down.
 */
function chainAround(probes: TruthProbe[], pid: number, t: bigint): TruthProbe | undefined {
  let before: TruthProbe | undefined;
  let after: TruthProbe | undefined;
  for (const p of probes) {
    if (p.pid !== pid) continue;
    if (p.atNs < t) before = p;
    else if (p.atNs > t + EXIT_IN_PROGRESS_NS) {
      after = p;
      break;
    }
  }
  if (before === undefined || after === undefined) return undefined;
  if (before.chain[0]!.startTimeNs !== after.chain[0]!.startTimeNs) return undefined;
  const pids = (p: TruthProbe) => p.chain.map((e) => e.pid).join(' ');
  return pids(before) === pids(after) ? before : undefined;
}

describe('enrich on every real capture', () => {
  const checked: string[] = [];
  afterAll(() => console.log(`enrich: events checked against /proc truth per capture: ${checked.join(', ')}`));

  it.each(captures.map((c) => [c.meta.name, c] as const))(
    '%s: each event exactly once; chains of probed processes as /proc showed them',
    async (name, capture) => {
      const { code, out, err } = await enrich(capture, join(dir, `${name}.db`));
      expect(err).toContain('skipped records: none');
      expect(code).toBe(0);
      const docs = parseLines(out);
      const want = eventsOf(capture);
      const got = docs.map(keyOf);
      expect(new Set(got).size).toBe(got.length);
      expect(got.slice().sort()).toEqual([...want.keys()].sort());
      for (const d of docs) expect(d.records.map((r: Doc) => r.type).sort(), keyOf(d)).toEqual(want.get(keyOf(d))!.slice().sort());

      let compared = 0;
      const wrong: string[] = [];
      for (const d of docs) {
        const pid = d.process.pid as number | undefined;
        if (pid === undefined) continue;
        const t = BigInt(d.event.time === undefined ? 0 : Date.parse(d.event.time)) * 1_000_000n;
        const probe = chainAround(capture.truth.probes, pid, t);
        if (probe === undefined) continue;
        const truth = knowable(probe, capture).map((e) => e.pid);
        const chain = (d.proc_tree.ancestry as Doc[]).map((e) => e.pid as number);
        compared++;
        if (chain.slice(0, truth.length).join(' ') !== truth.join(' ')) wrong.push(`${d.event.id} pid ${pid}: got ${chain.join('<')}, /proc ${truth.join('<')}`);
      }
      checked.push(`${name} ${compared}`);
      expect(wrong).toEqual([]);
      // Every capture's workload is probed while it makes syscalls.
      expect(compared).toBeGreaterThan(0);
    },
    60_000,
  );
});

describe('enrich output', () => {
  const capture = byName('net-files-login');
  const db = join(dir, 'out.db');
  let first = '';
  beforeAll(async () => {
    first = (await enrich(capture, db)).out;
  }, 60_000);

  it('is byte-identical across runs, on the same database and on a fresh one', async () => {
    const again = await enrich(capture, db);
    expect(again.err).not.toContain('ingested');
    expect(again.out).toBe(first);
    const fresh = await enrich(capture, join(dir, 'fresh.db'));
    expect(fresh.err).toContain('ingested');
    expect(fresh.out).toBe(first);
  });

  it('--types keeps exactly the events holding a record of those types', async () => {
    const types = ['USER_LOGIN', 'SOCKADDR', 'AVC'];
    const { code, out, err } = await enrich(capture, db, '--types', 'user_login,SOCKADDR,AVC');
    expect(code).toBe(0);
    const docs = parseLines(out);
    const want = [...eventsOf(capture)].filter(([, t]) => types.some((x) => t.includes(x))).map(([k]) => k);
    expect(want.length).toBeGreaterThan(1);
    expect(docs.map(keyOf).sort()).toEqual(want.sort());
    expect(err).toContain(`enriched ${want.length} event(s) (of `);
  });

  it('gives the acting process the entity id export gives that instance', async () => {
    const exported = parseLines((await cliInProcess('export', '--format', 'ecs', '--db', db)).out);
    const ids = new Map<string, string>(exported.map((d) => [d.process.entity_id as string, `${d.process.pid} ${d.process.start}`]));
    const docs = parseLines(first).filter((d) => d.process.entity_id !== undefined);
    expect(docs.length).toBeGreaterThan(100);
    for (const d of docs) {
      expect(ids.get(d.process.entity_id), d.event.id).toBe(`${d.process.pid} ${d.process.start}`);
      for (const e of d.proc_tree.ancestry as Doc[]) if (e.entity_id !== undefined) expect(ids.has(e.entity_id), `${d.event.id} ancestor ${e.pid}`).toBe(true);
    }
  });

  it('--format ecs writes ECS fields (ours under auditd and proc_tree), one document per event', async () => {
    const { code, out } = await enrich(capture, db, '--format', 'ecs');
    expect(code).toBe(0);
    const docs = parseLines(out);
    expect(docs.map(keyOf)).toEqual(parseLines(first).map(keyOf));
    const table = loadEcsFields();
    expect(docs.flatMap((d) => ecsViolations(d, table, ['proc_tree', 'auditd', 'log.offset']))).toEqual([]);
    const logins = docs.filter((d) => d.auditd.types.includes('USER_LOGIN'));
    expect(logins.length).toBeGreaterThan(0);
    for (const d of logins) expect(d.event.category).toContain('authentication');
    const execs = docs.filter((d) => d.event.action === 'execve');
    expect(execs.length).toBeGreaterThan(0);
    // After its own exec the process is the new program.
    for (const d of execs.filter((x) => x.event.outcome === 'success')) {
      expect(d.process.executable, d.event.id).toBe(d.auditd.records.find((r: Doc) => r.type === 'SYSCALL').fields.exe);
    }
  });
});

describe('enrich on damaged input', () => {
  it('counts and skips bad lines with the position of the first, and enriches the rest', async () => {
    const capture = byName('shell-pipeline-raw');
    const logDir = mkdtempSync(join(dir, 'damaged-'));
    const log = join(logDir, 'audit.log');
    const lines = readFileSync(capture.logFiles[0]!, 'latin1').split('\n');
    lines.splice(5, 0, 'this is not an audit record', 'type=SYSCALL msg=audit(garbage');
    writeFileSync(log, lines.join('\n'), 'latin1');
    copyFileSync(log, join(logDir, 'copy.txt')); // unrelated file beside it is not read
    const { code, out, err } = await cliInProcess('enrich', log, '--db', join(dir, 'damaged.db'));
    expect(code).toBe(0);
    expect(err).toMatch(/skipped records: .*malformed-line 1 \(first: .*audit\.log:6\)/);
    expect(err).toMatch(/missing-timestamp 1 \(first: .*audit\.log:7\)/);
    expect(parseLines(out).length).toBe(eventsOf(capture).size);
  });

  it('refuses stdin and a wrong --format in one line with exit 2', async () => {
    const capture = byName('shell-pipeline-raw');
    const stdin = await cliInProcess('enrich', '-', '--db', join(dir, 'x.db'));
    expect(stdin.code).toBe(2);
    expect(stdin.err).toMatch(/not - \(stdin\)/);
    const format = await cliInProcess('enrich', capture.logDir, '--format', 'xml', '--db', join(dir, 'x.db'));
    expect(format.code).toBe(2);
    expect(format.err.split('\n').filter((l) => l !== '')).toHaveLength(1);
  });
});
