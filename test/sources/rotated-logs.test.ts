import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listRotatedLogs, orderRotatedLogs } from '../../src/sources/rotated-logs.js';
import { cliInProcess } from '../cli/cli-in-process.js';
import { REPO_ROOT } from '../cli/cli-runner.js';
import { canonicalDump } from '../ingest/canonical-dump.js';

const work = mkdtempSync(join(tmpdir(), 'proc-tree-rotated-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('orderRotatedLogs', () => {
  it('orders auditd rotation oldest first: highest number first, the live audit.log last', () => {
    const { ordered, ignored } = orderRotatedLogs(['audit.log', 'audit.log.1', 'audit.log.10', 'audit.log.2.gz', 'audit.log.3', 'notes.txt']);
    expect(ordered).toEqual(['audit.log.10', 'audit.log.3', 'audit.log.2.gz', 'audit.log.1', 'audit.log']);
    expect(ignored).toEqual(['notes.txt']);
  });

  it('orders logrotate date suffixes by date, before the live file', () => {
    expect(orderRotatedLogs(['audit.log', 'audit.log-20240102.gz', 'audit.log-20231231']).ordered).toEqual(['audit.log-20231231', 'audit.log-20240102.gz', 'audit.log']);
  });
});

describe('listRotatedLogs', () => {
  it('follows symlinks to regular files (a folder of links to audit.log*), not dangling ones nor links to directories', async () => {
    const logs = join(REPO_ROOT, 'samples', 'auditd', 'rotation', 'logs');
    const links = join(work, 'links');
    mkdirSync(links);
    for (const name of ['audit.log', 'audit.log.1', 'audit.log.2']) symlinkSync(join(logs, name), join(links, name));
    symlinkSync(join(work, 'nothing-here'), join(links, 'audit.log.3'));
    symlinkSync(logs, join(links, 'old.log'));
    const { files } = await listRotatedLogs(links);
    expect(files).toEqual(['audit.log.2', 'audit.log.1', 'audit.log'].map((n) => join(links, n)));
    const viaLinks = join(work, 'links.db');
    const direct = join(work, 'direct.db');
    expect((await cliInProcess('ingest', '--db', viaLinks, links)).code).toBe(0);
    expect((await cliInProcess('ingest', '--db', direct, logs)).code).toBe(0);
    // The same rows, evidence citing the links' paths.
    const cited = (db: string, dir: string) => canonicalDump(db).instances!.map((row) => row.replaceAll(dir, 'DIR'));
    expect(cited(viaLinks, links)).toEqual(cited(direct, logs));
    expect(cited(viaLinks, links).length).toBeGreaterThan(0);
  });
});
