import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliInProcess as cli } from './cli-in-process.js';
import { repoRoot } from '../support/truth.js';

/**
 * What an incident responder met asking the query commands about edge times on real
 * captures: audit event ids as TIME (laurel's confusion trace), times outside the history,
 * and output details (JSON keys, dot labels, unnamed users).
 */
const laurel = resolve(repoRoot, '..', 'shared', 'corpus', 'public', 'laurel', 'shell-proc-trace-confusion.txt');
const dir = mkdtempSync(join(tmpdir(), 'proc-tree-query-edges-'));
const confusionDb = join(dir, 'confusion.db');
const reuseDb = join(dir, 'pid-reuse.db');
const killedDb = join(dir, 'killed.db');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  expect((await cli('ingest', '--db', confusionDb, laurel)).code).toBe(0);
  expect((await cli('ingest', '--db', reuseDb, join(repoRoot, 'samples', 'auditd', 'pid-reuse', 'logs'))).code).toBe(0);
  expect((await cli('ingest', '--db', killedDb, join(repoRoot, 'samples', 'auditd', 'killed-by-signal', 'logs'))).code).toBe(0);
});

const json = (out: string): Record<string, any> => JSON.parse(out) as Record<string, any>;

describe('--at given as an audit event id', () => {
  // The trace: `id` (2656) is exec'd by event 2638035; its parent 2655 (a csh) exec's awk
  // by event 2638036, in the same millisecond.
  it('answers with the image in force at that event, and says what came after it in the same ms', async () => {
    const at = await cli('ancestry', '2656', '--at', 'audit(1697091526.357:2638035)', '--db', confusionDb, '--json');
    expect(at.code).toBe(0);
    const link = json(at.out).chain.find((l: { pid: number }) => l.pid === 2655);
    expect(link.cmd).toContain('csh');
    expect(link.notes.join('\n')).toMatch(/after this event \(audit serial 2638036\)/);
    // The same millisecond as a plain time, and the later event: the exec is in force.
    const later = await cli('ancestry', '2656', '--at', 'audit(1697091526.357:2638036)', '--db', confusionDb, '--json');
    expect(json(later.out).chain.find((l: { pid: number }) => l.pid === 2655).cmd).toContain('awk');
  });

  it('draws the tree at that event the same way', async () => {
    const r = await cli('tree', '2655', '--at', 'audit(1697091526.357:2638035)', '--db', confusionDb, '--json');
    expect(r.code).toBe(0);
    expect(json(r.out).roots[0].cmd).toContain('csh');
  });
});

describe('a fork and an exec of the same millisecond', () => {
  // 2655 forked 2657 (event 2638034), then exec'd awk (event 2638036), both at .357:
  // 2657 never exec'd, so it ran what 2655 ran at the fork, the csh.
  it('gives the child the image its creator had at the fork, by the audit serials', async () => {
    const r = await cli('tree', '2655', '--at', '1697091526.357', '--db', confusionDb, '--json');
    const child = json(r.out).roots[0].children.find((c: { pid: number }) => c.pid === 2657);
    expect(child.cmd).toContain('csh');
    expect(child.cmd).not.toContain('awk');
  });
});

describe('times outside the history', () => {
  it('ancestry --json after the last record: uncertain, outsideHistory "after", and a note naming the end', async () => {
    const r = await cli('ancestry', '765', '--at', '1900000000', '--db', killedDb, '--json');
    expect(r.code).toBe(0);
    const answer = json(r.out);
    expect(answer.outsideHistory).toBe('after');
    expect(answer.uncertain).toBe(true);
    expect(answer.notes.join('\n')).toMatch(/the history ends at .*'alive' only means no exit was recorded/);
    const text = await cli('ancestry', '765', '--at', '1900000000', '--db', killedDb);
    expect(text.out).toMatch(/UNCERTAIN:[\s\S]*the history ends at/);
  });

  it('tree before the first record exits 1 and names the span of the history, as ancestry does', async () => {
    const tree = await cli('tree', '--at', '1700000000', '--db', killedDb);
    expect(tree.code).toBe(1);
    expect(tree.err).toMatch(/no process recorded alive at .*: the history spans \S+ to \S+/);
    const ancestry = await cli('ancestry', '765', '--at', '1700000000', '--db', killedDb);
    expect(ancestry.code).toBe(tree.code);
  });

  it('a pid whose last holder exited, asked after the history ends: says when it exited, not only where the records end', async () => {
    const timeline = json((await cli('timeline', '846', '--db', killedDb, '--json')).out);
    const last = timeline.instances.at(-1);
    expect(last.endCertainty).toBe('observed');
    const r = await cli('ancestry', '846', '--at', '1900000000', '--db', killedDb);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`it exited at ${last.end}`);
    expect(r.err).not.toContain("'alive' only means");
  });

  it('--host on a history of one unnamed host: says the logs carry no node= and to leave --host out', async () => {
    for (const command of [['ancestry', '846', '--at', '1795589405'], ['export', '--format', 'ecs']]) {
      const r = await cli(...command, '--db', killedDb, '--host', 'web-1');
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/host 'web-1' is not in the history: its logs carry no node= name.*leave out --host/);
    }
  });

  it('find --at after the last record lists what had no exit, marked uncertain', async () => {
    const r = await cli('find', '--cmd', 'auditd', '--at', '1900000000', '--db', killedDb, '--json');
    expect(r.code).toBe(0);
    expect(json(r.out).outsideHistory).toBe('after');
    expect(json(r.out).uncertain).toBe(true);
  });
});

describe('init and not-yet-recorded processes', () => {
  it('ancestry 1 before the log first names init answers init (ppid 0), not "no process"', async () => {
    const r = await cli('ancestry', '1', '--at', '1795589388.9', '--db', reuseDb, '--json');
    expect(r.code).toBe(0);
    expect(json(r.out).chain.map((l: { pid: number; ppid: number }) => [l.pid, l.ppid])).toEqual([[1, 0]]);
  });

  it('descendants of init before its first record: from boot, not a start after the asked time', async () => {
    const r = await cli('descendants', '1', '--at', '1795589388.9', '--db', reuseDb);
    expect(r.code).toBe(0);
    const initLine = r.out.split('\n')[0]!;
    expect(initLine).toMatch(/\(1\).*\[from boot, first recorded \S+\]/);
    expect(initLine).not.toMatch(/start ~/);
  });

  it('a pid first recorded later, start unknown, "may already have been running" and exits 1', async () => {
    const r = await cli('ancestry', '1295', '--at', '1795589387.9', '--db', reuseDb);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/pid 1295 was first recorded at \S+ \(start unknown\): it may already have been running/);
  });
});

describe('output details', () => {
  it('descendants --json gives the root the parent ancestry gives it', async () => {
    const d = await cli('descendants', '1295', '--at', '1795589389.2', '--db', reuseDb, '--json');
    const a = await cli('ancestry', '1295', '--at', '1795589389.2', '--db', reuseDb, '--json');
    expect(json(a.out).chain[0].ppid).toEqual(expect.any(Number));
    expect(json(d.out).root.ppid).toBe(json(a.out).chain[0].ppid);
  });

  it('timeline --json images carry every key its usage lists, user included', async () => {
    const r = await cli('timeline', '1298', '--db', reuseDb, '--json');
    const usage = (await cli('timeline', '--help')).out + (await cli('timeline', '--help')).err;
    const listed = /"images":\[\{([^}]*)\}/.exec(usage)![1]!.split(',').map((k) => k.replace(/"/g, ''));
    expect(listed).toContain('user');
    for (const inst of json(r.out).instances) for (const image of inst.images) for (const key of listed) expect(image).toHaveProperty(key);
  });

  it('marks a dot label cut short with an ellipsis', async () => {
    const args = ['tree', '--at', '1795589389.2', '--db', reuseDb];
    const full = new Map<number, string>();
    const walk = (n: { pid: number; cmd: string; children: unknown[] }): void => {
      full.set(n.pid, `${n.pid} ${n.cmd}`);
      (n.children as (typeof n)[]).forEach(walk);
    };
    json((await cli(...args, '--json')).out).roots.forEach(walk);
    const labels = [...(await cli(...args, '--format', 'dot')).out.matchAll(/label="([^"]*)"/g)].map((m) => m[1]!.replace(/ \?$/, ''));
    const cut = [...full.values()].filter((l) => l.length > 80);
    expect(cut.length).toBeGreaterThan(0);
    for (const l of cut) expect(labels).toContain(`${l.slice(0, 79)}…`);
  });

  it('prints an unnamed user as uid:N in text and keeps the number in JSON', async () => {
    const text = await cli('ancestry', '1298', '--at', '1795589389.150', '--db', reuseDb);
    const answer = json((await cli('ancestry', '1298', '--at', '1795589389.150', '--db', reuseDb, '--json')).out);
    const self = answer.chain[0];
    expect(self.user).toBeNull();
    expect(self.uid).toEqual(expect.any(Number));
    expect(text.out.split('\n')[1]).toMatch(new RegExp(`^1298\\s+\\d+\\s+uid:${self.uid}\\s`));
  });
});
