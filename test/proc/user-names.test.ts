import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { parsePasswd, userName } from '../../src/proc/user-names.js';

const dir = mkdtempSync(join(tmpdir(), 'proc-tree-passwd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('uid 0 is root on this machine', () => {
  expect(userName(0)).toBe('root');
});

test('every account of the real /etc/passwd resolves to its first name', () => {
  const table = parsePasswd(readFileSync('/etc/passwd', 'utf8'));
  expect(table.size).toBeGreaterThan(1);
  for (const [uid, name] of table) expect(userName(uid)).toBe(name);
});

test('a uid without an entry prints as the number, like ps', () => {
  const table = parsePasswd(readFileSync('/etc/passwd', 'utf8'));
  let uid = 4_000_000;
  while (table.has(uid)) uid++;
  expect(userName(uid)).toBe(String(uid));
});

test('an account added after the first lookup is found once the file changes', () => {
  const path = join(dir, 'passwd');
  writeFileSync(path, readFileSync('/etc/passwd', 'utf8'));
  expect(userName(54321, path)).toBe('54321');
  appendFileSync(path, 'intruder:x:54321:54321::/tmp:/bin/sh\n');
  const later = new Date(Date.now() + 5000);
  utimesSync(path, later, later); // make the change visible even on coarse-mtime filesystems
  expect(userName(54321, path)).toBe('intruder');
});

test('parsePasswd skips comments and malformed lines', () => {
  const table = parsePasswd('# comment\nroot:x:0:0::/root:/bin/sh\nbroken\nalice:x:notanumber:1::/:/bin/sh\n');
  expect([...table]).toEqual([[0, 'root']]);
});
