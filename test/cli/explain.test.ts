/**
 * `proc-tree explain EVENT_ID INPUT...` on real captures: it explains the same event that
 * `enrich` writes (its --json is enrich's line for that id, byte for byte), its text shows
 * the records and the chain enrich gives, terminal escapes in attacker-chosen argv are made
 * visible, and an unknown or malformed id is one line with exit 1 or 2.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAuditdCaptures, type Capture } from '../support/truth.js';
import { cliInProcess } from './cli-in-process.js';

type Doc = Record<string, any>;

const dir = mkdtempSync(join(tmpdir(), 'proc-tree-explain-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const capture = (name: string): Capture => {
  const c = listAuditdCaptures().find((x) => x.meta.name === name);
  if (c === undefined) throw new Error(`samples/auditd/${name} is missing`);
  return c;
};

describe('explain', () => {
  const net = capture('net-files-login');
  const db = join(dir, 'net.db');
  let lines: string[] = [];
  let docs: Doc[] = [];
  beforeAll(async () => {
    const r = await cliInProcess('enrich', net.logDir, '--db', db);
    lines = r.out.split('\n').filter((l) => l !== '');
    docs = lines.map((l) => JSON.parse(l) as Doc);
  }, 60_000);

  /** A login, a network connect, a file write under watch and an exec: one of each kind the capture holds. */
  const picks = (): number[] => {
    const find = (p: (d: Doc) => boolean) => docs.findIndex(p);
    const out = [
      find((d) => d.event.types.includes('USER_LOGIN')),
      find((d) => d.event.types.includes('SOCKADDR')),
      find((d) => d.event.types.includes('PATH') && d.records[0].fields.key === 'proctree-watch'),
      find((d) => d.event.types.includes('EXECVE')),
    ];
    expect(out.every((i) => i >= 0)).toBe(true);
    return out;
  };

  it('--json is the line enrich writes for that event', async () => {
    for (const i of picks()) {
      const id = docs[i]!.event.id as string;
      const r = await cliInProcess('explain', `audit(${id})`, net.logDir, '--db', db, '--json');
      expect(r.code, id).toBe(0);
      expect(r.out, id).toBe(lines[i] + '\n');
    }
  });

  it('text shows what happened, where, every record, and the chain enrich gives, self first', async () => {
    for (const i of picks()) {
      const d = docs[i]!;
      const r = await cliInProcess('explain', d.event.id, net.logDir, '--db', db);
      expect(r.code).toBe(0);
      expect(r.out).toContain(`event ${d.event.id} at ${d.event.time}`);
      expect(r.out).toContain(`:${d.log.line} (byte ${d.log.offset})`);
      const recordLines = r.out.split('\n').filter((l) => /^ {2}[A-Z_]+ /.test(l)).map((l) => l.trim().split(' ')[0]);
      expect(recordLines).toEqual(d.records.map((x: Doc) => x.type));
      const table = r.out.split('ancestry at the event (self first):\n')[1]!.split('\n');
      expect(table[0]).toMatch(/^PID +PPID +USER/);
      const pids = table.slice(1).filter((l) => /^\d+ /.test(l)).map((l) => Number(l.split(' ')[0]));
      expect(pids).toEqual(d.proc_tree.ancestry.map((e: Doc) => e.pid));
      expect(r.out).toContain(`entity_id ${d.process.entity_id}`);
    }
  });

  it('shows terminal control characters of attacker-chosen arguments as escapes', async () => {
    // A real capture whose `sed` argument is replaced by one carrying an OSC title sequence
    // and a newline, hex-encoded as the kernel logs such arguments.
    const raw = capture('shell-pipeline-raw');
    const hostile = 's/\x1b]0;pwned\x07\nPID  PPID forged/';
    const logDir = mkdtempSync(join(dir, 'hostile-'));
    const text = readFileSync(raw.logFiles[0]!, 'latin1').replace('a0="sed" a1="s/foo/bar/"', `a0="sed" a1=${Buffer.from(hostile).toString('hex').toUpperCase()}`);
    expect(text).toContain('a0="sed" a1=73');
    writeFileSync(join(logDir, 'audit.log'), text, 'latin1');
    const r = await cliInProcess('explain', '1795589102.292:27983', join(logDir, 'audit.log'), '--db', join(dir, 'hostile.db'));
    expect(r.code).toBe(0);
    expect(r.out).toContain('a1="s/\\x1b]0;pwned\\x07\\nPID  PPID forged/"');
    expect(r.out).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f]/);
    const json = await cliInProcess('explain', '1795589102.292:27983', join(logDir, 'audit.log'), '--db', join(dir, 'hostile.db'), '--json');
    expect((JSON.parse(json.out) as Doc).records.find((x: Doc) => x.type === 'EXECVE').fields.a1).toBe(hostile);
  });

  it('says in one line when the event is not in the input (exit 1) or the id is not an audit id (exit 2)', async () => {
    const missing = await cliInProcess('explain', '1796280982.538:1', net.logDir, '--db', db);
    expect(missing.code).toBe(1);
    expect(missing.err.trim().split('\n')).toEqual([expect.stringMatching(/^proc-tree explain: no event 1796280982\.538:1 in .* \(\d+ events read\)$/)]);
    const bad = await cliInProcess('explain', 'yesterday', net.logDir, '--db', db);
    expect(bad.code).toBe(2);
    expect(bad.err.trim().split('\n')).toHaveLength(1);
  });
});
