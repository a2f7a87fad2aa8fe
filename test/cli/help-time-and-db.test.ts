import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAuditdCaptures } from '../support/truth.js';
import { cliInProcess as cli } from './cli-in-process.js';

/**
 * The review: `ingest --help` said `--db FILE` though a postgres:// URL works there, and
 * `export --help` named epoch and ISO times only, though an audit event id works as well.
 * The event id case is checked on the real net-files-login capture: export --from ID gives
 * what --from with the id's own time gives, and fewer records than no --from.
 */
const dir = mkdtempSync(join(tmpdir(), 'proc-tree-help-time-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const capture = listAuditdCaptures().find((c) => c.meta.name === 'net-files-login')!;
const db = join(dir, 'h.db');

beforeAll(async () => {
  expect((await cli('ingest', '--db', db, capture.logDir)).code).toBe(0);
});

describe('help texts say what --db and TIME take', () => {
  it('ingest --help: every usage line takes --db FILE|URL', async () => {
    const usage = (await cli('ingest', '--help')).out.split('\n').filter((l) => /proc-tree ingest /.test(l) && l.includes('--db'));
    expect(usage.length).toBe(2);
    for (const line of usage) expect(line).toContain('[--db FILE|URL]');
  });

  it('export --help names the audit event id, and export --from takes one as its time', async () => {
    const help = (await cli('export', '--help')).out;
    expect(help).toMatch(/audit event id/);
    // An event id from the middle of the log.
    const ids = [...readFileSync(join(capture.logDir, 'audit.log'), 'utf8').matchAll(/type=SYSCALL msg=audit\((\d+\.\d{3}):(\d+)\)/g)];
    const [, time, serial] = ids[Math.floor(ids.length / 2)]!;
    const all = await cli('export', '--format', 'csv', '--db', db);
    const byId = await cli('export', '--format', 'csv', '--db', db, '--from', `${time}:${serial}`);
    const byTime = await cli('export', '--format', 'csv', '--db', db, '--from', time!);
    expect(byId.code).toBe(0);
    expect(byId.out).toBe(byTime.out);
    expect(byId.out.split('\n').length).toBeLessThan(all.out.split('\n').length);
  });
});
