import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { printableText } from '../../src/cli/printable-text.js';
import { REPO_ROOT } from './cli-runner.js';
import { cliInProcess } from './cli-in-process.js';

/** A real capture whose python3 -c argument holds a multi-line script (newlines, indentation). */
const LOGS = join(REPO_ROOT, 'samples', 'auditd', 'daemon-double-fork', 'logs');
const work = mkdtempSync(join(tmpdir(), 'proc-tree-printable-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('log text on a terminal', () => {
  it('escapes every control character, so none reaches the terminal', () => {
    const all = Array.from({ length: 0xa0 }, (_, c) => String.fromCharCode(c)).join('');
    const shown = printableText(all);
    expect(shown).not.toMatch(/[\x00-\x1f\x7f-\x9f]/);
    // Printable characters are kept as they are, in order.
    expect(shown.replace(/\\(n|r|t|x[0-9a-f]{2})/g, '')).toBe(all.replace(/[\x00-\x1f\x7f-\x9f]/g, ''));
  });

  it('keeps one table row per process when a real command line holds newlines', async () => {
    const db = join(work, 'h.db');
    expect((await cliInProcess('ingest', '--db', db, LOGS)).code).toBe(0);
    const json = await cliInProcess('find', '--cmd', 'python3', '--db', db, '--json');
    const found = JSON.parse(json.out) as { count: number; processes: { cmd: string }[] };
    // The premise: the capture's command line has newlines of its own.
    expect(found.processes.some((p) => p.cmd.includes('\n'))).toBe(true);
    const text = await cliInProcess('find', '--cmd', 'python3', '--db', db);
    const rows = text.out.split('\n').filter((line) => /^\d+\s/.test(line));
    expect(rows).toHaveLength(found.count);
    expect(text.out.split('\n').filter((line) => line !== '' && !/^(PID|\d+)\s/.test(line) && !/^(UNCERTAIN|  -|\?|~)/.test(line))).toEqual([]);
  });
});
