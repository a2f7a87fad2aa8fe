/**
 * `find --user NAME` and `find --user UID` on real captures of both log formats: RAW logs
 * carry uids only (USER column `uid:0`), ENRICHED ones names too (`root`). A name must find
 * the same processes as its uid in either, and in a history where a host's ENRICHED logs
 * named a uid, that name finds the same uid in the host's RAW records.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listAuditdCaptures } from '../support/truth.js';
import { cliInProcess } from './cli-in-process.js';

type Doc = Record<string, any>;

const dir = mkdtempSync(join(tmpdir(), 'proc-tree-find-user-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const captures = listAuditdCaptures();
const capture = (name: string) => captures.find((c) => c.meta.name === name)!;

async function found(db: string, user: string): Promise<string[]> {
  const r = await cliInProcess('find', '--user', user, '--db', db, '--json');
  return (JSON.parse(r.out) as Doc).processes.map((p: Doc) => `${p.host}/${p.pid}@${p.startNs}`).sort();
}

describe('find --user, RAW and ENRICHED logs alike', () => {
  it('--user root finds what --user 0 finds, in both formats (RAW: by uid 0, shown uid:0)', async () => {
    for (const name of ['shell-pipeline-raw', 'shell-pipeline-enriched', 'net-files-login', 'exec-chain-enriched-node']) {
      const c = capture(name);
      const db = join(dir, `${name}.db`);
      expect((await cliInProcess('ingest', '--db', db, c.logDir)).code, name).toBe(0);
      const byName = await found(db, 'root');
      expect(byName.length, `${name} (${c.meta.logFormat})`).toBeGreaterThan(0);
      expect(byName, `${name} (${c.meta.logFormat})`).toEqual(await found(db, '0'));
      const text = await cliInProcess('find', '--user', 'root', '--db', db);
      const users = new Set(text.out.trimEnd().split('\n').slice(1).map((l) => l.split(/\s+/)[3]));
      expect([...users], name).toEqual([c.meta.logFormat === 'RAW' ? 'uid:0' : 'root']);
    }
  });

  it('a name an ENRICHED log gave a uid finds that uid in the same host\'s RAW records', async () => {
    // A deliberate variant of shell-pipeline-enriched: the passwd name of uid 0 is `admin`
    // (so the root rule cannot help), and the second half of the log lost its ENRICHED part,
    // as a RAW log of the same host would read.
    const c = capture('shell-pipeline-enriched');
    const lines = c.logFiles.flatMap((f) => readFileSync(f, 'latin1').split('\n').filter((l) => l !== ''));
    const idOf = (l: string) => /msg=audit\(([^)]*)\)/.exec(l)![1];
    let half = Math.floor(lines.length / 2);
    while (idOf(lines[half]!) === idOf(lines[half - 1]!)) half++;
    const variant = lines.map((l, i) => (i < half ? l.replace(/(E?UID)="root"/g, '$1="admin"') : l.split('\x1d')[0]!));
    expect(variant.slice(0, half).join('\n')).toContain('UID="admin"');
    expect(variant.slice(half).join('\n')).not.toContain('\x1d');
    const file = join(dir, 'audit.log');
    writeFileSync(file, variant.join('\n') + '\n', 'latin1');
    const db = join(dir, 'mixed.db');
    expect((await cliInProcess('ingest', '--db', db, file)).code).toBe(0);
    const byUid = await found(db, '0');
    const byName = await found(db, 'admin');
    expect(byName).toEqual(byUid);
    // Some of them are known by uid only: the RAW half's own processes.
    const raw = (JSON.parse((await cliInProcess('find', '--user', 'admin', '--db', db, '--json')).out) as Doc).processes.filter((p: Doc) => p.user === null);
    expect(raw.length).toBeGreaterThan(0);
    expect(await found(db, 'nobody-here')).toEqual([]);
  });
});
