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

  it('--json is the line enrich writes for that event, plus proc_tree.context', async () => {
    for (const i of picks()) {
      const id = docs[i]!.event.id as string;
      const r = await cliInProcess('explain', `audit(${id})`, net.logDir, '--db', db, '--json');
      expect(r.code, id).toBe(0);
      const doc = JSON.parse(r.out) as Doc;
      expect(doc.proc_tree.context, id).toBeDefined();
      delete doc.proc_tree.context;
      expect(JSON.stringify(doc), id).toBe(lines[i]);
    }
  });

  it('without INPUT reads the event from the logs the history was ingested from', async () => {
    for (const i of picks()) {
      const id = docs[i]!.event.id as string;
      const given = await cliInProcess('explain', id, net.logDir, '--db', db, '--json');
      const fromHistory = await cliInProcess('explain', id, '--db', db, '--json');
      expect(fromHistory.code, id).toBe(0);
      expect(fromHistory.out, id).toBe(given.out);
    }
  });

  it('without INPUT, logs moved away since ingest: one line saying to give INPUT, exit 1', async () => {
    const moved = mkdtempSync(join(dir, 'moved-'));
    writeFileSync(join(moved, 'audit.log'), readFileSync(net.logFiles[0]!));
    const movedDb = join(dir, 'moved.db');
    expect((await cliInProcess('ingest', '--db', movedDb, join(moved, 'audit.log'))).code).toBe(0);
    rmSync(join(moved, 'audit.log'));
    const r = await cliInProcess('explain', docs[picks()[0]!]!.event.id, '--db', movedDb);
    expect(r.code).toBe(1);
    expect(r.err.trim().split('\n')).toEqual([expect.stringMatching(/not where they were .*give the log that holds the event as INPUT/)]);
  });

  it('context: siblings and descendants in the window are what descendants --from --to gives, the timeline what timeline gives', async () => {
    for (const i of picks()) {
      const d = docs[i]!;
      const r = await cliInProcess('explain', d.event.id, '--db', db, '--json', '--window', '2');
      const c = (JSON.parse(r.out) as Doc).proc_tree.context;
      const [self, parent] = d.proc_tree.ancestry as Doc[];
      const t = BigInt(d.event.id.split(':')[0].replace('.', '')) * 1_000_000n;
      const from = `${(t - 2_000_000_000n) / 1_000_000_000n}.${String((t - 2_000_000_000n) % 1_000_000_000n).padStart(9, '0')}`;
      const to = `${(t + 2_000_000_000n) / 1_000_000_000n}.${String((t + 2_000_000_000n) % 1_000_000_000n).padStart(9, '0')}`;
      const mine = JSON.parse((await cliInProcess('descendants', String(self!.pid), '--from', from, '--to', to, '--db', db, '--json')).out) as Doc;
      expect(c.descendants.root, d.event.id).toEqual(mine.root);
      expect(c.descendants.count, d.event.id).toBe(mine.count);
      const key = (x: Doc): string => `${x.pid}@${x.startNs}`;
      if (parent !== undefined) {
        const theirs = JSON.parse((await cliInProcess('descendants', String(parent.pid), '--from', from, '--to', to, '--db', db, '--json')).out) as Doc;
        const siblings = (theirs.root.children as Doc[]).map(key).filter((k) => k !== key(c.descendants.root));
        expect(c.siblings.map(key).sort(), d.event.id).toEqual(siblings.sort());
      }
      const tl = JSON.parse((await cliInProcess('timeline', String(self!.pid), '--db', db, '--json')).out) as Doc;
      expect(c.timeline.pid).toBe(self!.pid);
      // The same instance as timeline lists it; explain marks it as the one alive at the event.
      expect(c.timeline.aliveAtQuery).toBe(true);
      expect({ ...c.timeline, aliveAtQuery: false }, d.event.id).toEqual(tl.instances.find((x: Doc) => x.id === c.timeline.id));
      expect(`${c.timeline.pid}@${c.timeline.startNs}`).toBe(key(c.descendants.root));
      const text = await cliInProcess('explain', d.event.id, '--db', db, '--window', '2');
      expect(text.out).toContain(`descendants of pid ${self!.pid} in the window: ${mine.count}`);
      expect(text.out).toMatch(new RegExp(`timeline of pid ${self!.pid} `));
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
