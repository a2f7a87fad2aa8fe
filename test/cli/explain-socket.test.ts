/**
 * The address of a SOCKADDR record, decoded, on the real captures: `enrich` (and so
 * `explain --json`) gives it as proc_tree.socket and ECS destination/source; it equals the
 * ENRICHED log's own `SADDR={ saddr_fam=... }` text wherever the capture has one, and what
 * auparse (`ausearch -i`, when installed) reads from the same log everywhere. `explain`
 * names a RAW log's socket syscall and a failure's errno.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAuditdCaptures } from '../support/truth.js';
import { cliInProcess } from './cli-in-process.js';
import { skipWithoutAuditTools } from '../support/audit-tools.js';

type Doc = Record<string, any>;

const dir = mkdtempSync(join(tmpdir(), 'proc-tree-explain-socket-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `saddr_fam=inet laddr=127.0.0.1 lport=80` (or the older `fam=`) as key -> value. */
function saddrPairs(text: string): Record<string, string> {
  return Object.fromEntries([...text.matchAll(/([\w-]+)=(\S+)/g)].map((m) => [m[1]!, m[2]!]));
}

/** What auparse's text says, in proc_tree.socket's terms, to compare field by field. */
function fromAuparse(text: string): Doc {
  const unknown = /unknown-family\((\d+)\)/.exec(text);
  if (unknown) return { family_number: Number(unknown[1]) };
  const kv = saddrPairs(text);
  const family = kv.saddr_fam ?? kv.fam;
  const out: Doc = { family };
  if (family === 'inet' || family === 'inet6') {
    const [ip, scope] = kv.laddr!.split('%');
    Object.assign(out, { ip, port: Number(kv.lport) }, scope !== undefined ? { scope_id: Number(scope) } : {});
  } else if (family === 'local') out.path = kv.path;
  else if (family === 'netlink') Object.assign(out, { family_number: Number(kv['nlnk-fam']), netlink_pid: Number(kv['nlnk-pid']) });
  return out;
}

/** `ausearch -i -m SOCKADDR` of one file ('' when it has none: ausearch exits 1 then). */
function ausearchSockaddrs(file: string): string {
  try {
    return execFileSync('ausearch', ['-if', file, '-i', '-m', 'SOCKADDR'], { encoding: 'latin1', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    if ((error as { status?: number }).status === 1 && /no matches/.test(String((error as { stderr?: string }).stderr))) return '';
    throw error;
  }
}

function pick(s: Doc, like: Doc): Doc {
  return Object.fromEntries(Object.keys(like).map((k) => [k, s[k]]));
}

describe('SOCKADDR decoded, on every capture', () => {
  const captures = listAuditdCaptures();
  const docs = new Map<string, Doc[]>();
  beforeAll(async () => {
    for (const c of captures) {
      const r = await cliInProcess('enrich', c.logDir, '--db', join(dir, `${c.meta.name}.db`), '--types', 'SOCKADDR');
      expect(r.code, c.meta.name).toBe(0);
      docs.set(c.meta.name, r.out.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Doc));
    }
  }, 240_000);

  it('equals the ENRICHED SADDR text wherever the log carries one', () => {
    let compared = 0;
    for (const [name, list] of docs) {
      for (const d of list) {
        const rec = d.records.find((r: Doc) => r.type === 'SOCKADDR');
        if (rec.fields.SADDR === undefined) continue;
        const theirs = fromAuparse(rec.fields.SADDR);
        expect(pick(d.proc_tree.socket, theirs), `${name} ${d.event.id} ${rec.fields.SADDR}`).toEqual(theirs);
        compared++;
      }
    }
    expect(compared).toBeGreaterThanOrEqual(20);
  });

  it.skipIf(skipWithoutAuditTools)('equals what ausearch -i reads from the same log, for every family', () => {
    const families = new Set<string>();
    let compared = 0;
    for (const c of captures) {
      const byId = new Map<string, string>();
      for (const file of c.logFiles) {
        const text = ausearchSockaddrs(file);
        for (const m of text.matchAll(/type=SOCKADDR msg=audit\([^)]*?\.(\d{3}):(\d+)\) : saddr=(.*?) ?$/gm)) byId.set(`${m[1]}:${m[2]}`, m[3]!);
      }
      for (const d of docs.get(c.meta.name)!) {
        const [time, serial] = (d.event.id as string).split(':');
        const theirs = byId.get(`${time!.split('.')[1]}:${serial}`);
        expect(theirs, `${c.meta.name} ${d.event.id}`).toBeDefined();
        const want = fromAuparse(theirs!);
        expect(pick(d.proc_tree.socket, want), `${c.meta.name} ${d.event.id} ${theirs}`).toEqual(want);
        families.add(d.proc_tree.socket.family);
        compared++;
      }
    }
    expect(compared).toBeGreaterThanOrEqual(100);
    expect([...families].sort()).toEqual(['inet', 'inet6', 'local', 'netlink', 'unspec']);
  });

  it('ECS: connect -> destination (IP and port, or the socket path) with network.type; netlink gets no ECS side', () => {
    const all = [...docs.values()].flat();
    const connect = all.filter((d) => d.proc_tree.socket.syscall === 'connect');
    expect(connect.filter((d) => d.proc_tree.socket.family === 'inet').length).toBeGreaterThan(0);
    expect(connect.filter((d) => d.proc_tree.socket.family === 'local').length).toBeGreaterThan(0);
    for (const d of connect) {
      const s = d.proc_tree.socket;
      expect(s.role).toBe('destination');
      if (s.family === 'inet' || s.family === 'inet6') {
        expect(d.destination, d.event.id).toEqual({ address: s.ip, ip: s.ip, port: s.port });
        expect(d.network, d.event.id).toEqual({ type: s.family === 'inet' ? 'ipv4' : 'ipv6' });
      } else if (s.family === 'local') expect(d.destination, d.event.id).toEqual({ address: s.path });
      else expect(d.destination, d.event.id).toBeUndefined();
    }
    const netlink = all.filter((d) => d.proc_tree.socket.family === 'netlink');
    expect(netlink.length).toBeGreaterThan(0);
    for (const d of netlink) expect([d.destination, d.source, d.network]).toEqual([undefined, undefined, undefined]);
  });

  it('explain names the RAW log\'s socket syscall, its errno and the address', async () => {
    const c = captures.find((x) => x.meta.name === 'net-files-login')!;
    expect(c.meta.logFormat).toBe('RAW');
    const failed = docs.get(c.meta.name)!.find((d) => d.records[0].fields.success === 'no' && d.proc_tree.socket.family === 'inet')!;
    const exit = failed.records[0].fields.exit as string;
    expect(failed.error.code).toMatch(/^E[A-Z]+$/);
    const r = await cliInProcess('explain', failed.event.id, '--db', join(dir, `${c.meta.name}.db`));
    expect(r.code).toBe(0);
    expect(r.out).toContain(`what:  connect (failure, exit=${exit} ${failed.error.code}: ${failed.error.message}`);
    expect(r.out).toContain(`addr:  connect to inet ${failed.proc_tree.socket.ip}:${failed.proc_tree.socket.port}\n`);
    const json = JSON.parse((await cliInProcess('explain', failed.event.id, '--db', join(dir, `${c.meta.name}.db`), '--json')).out) as Doc;
    expect(json.proc_tree.socket).toEqual(failed.proc_tree.socket);
    expect(json.destination).toEqual(failed.destination);
  });
});
