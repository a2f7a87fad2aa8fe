/**
 * File syscalls named and their PATH records summarised: a RAW log gives only `syscall=257`,
 * and `explain` said "what: syscall (success) [file]" for an openat, with no name, flags or
 * path. The names and open flags are checked against auparse (`ausearch -i`) on every SYSCALL
 * record of every real capture; `explain` on net-files-login's openat of curl.html says the
 * call, the path, that it was created and the flags.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileSyscallOf, openFlagsText, OPEN_FLAGS_ARG } from '../../adapters/auditd/file-syscalls.js';
import { scanAuditLogs } from '../support/audit-records.js';
import { listAuditdCaptures } from '../support/truth.js';
import { cliInProcess } from './cli-in-process.js';
import { skipWithoutAuditTools } from '../support/audit-tools.js';

const dir = mkdtempSync(join(tmpdir(), 'proc-tree-explain-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FILE_CALLS = new Set(['open', 'openat', 'openat2', 'creat', 'unlink', 'unlinkat', 'rename', 'renameat', 'renameat2', 'mkdir', 'mkdirat', 'rmdir', 'link', 'linkat', 'symlink', 'symlinkat', 'truncate', 'chmod', 'fchmodat', 'chown', 'fchownat']);

/** serial -> the interpreted SYSCALL fields auparse prints for it. */
function ausearchSyscalls(file: string): Map<string, Map<string, string>> {
  const text = execFileSync('ausearch', ['-if', file, '-i', '-m', 'SYSCALL'], { encoding: 'latin1', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = new Map<string, Map<string, string>>();
  for (const m of text.matchAll(/^(?:node=\S+ )?type=SYSCALL msg=audit\([^)]*?\.(\d{3}):(\d+)\) : (.*)$/gm)) {
    out.set(`${m[1]}:${m[2]}`, new Map([...m[3]!.matchAll(/([\w-]+)=(\S+)/g)].map((f) => [f[1]!, f[2]!])));
  }
  return out;
}

describe('file syscalls', () => {
  it.skipIf(skipWithoutAuditTools)('names and open flags equal what ausearch -i reads, on every capture', () => {
    const seen = new Map<string, number>();
    let flagsCompared = 0;
    for (const c of listAuditdCaptures()) {
      for (const file of c.logFiles) {
        const theirs = ausearchSyscalls(file);
        for (const r of scanAuditLogs([file]).records) {
          if (r.type !== 'SYSCALL') continue;
          const id = `${String(r.timeNs / 1_000_000n % 1000n).padStart(3, '0')}:${r.serial}`;
          const t = theirs.get(id);
          expect(t, `${file} ${id}`).toBeDefined();
          const name = t!.get('syscall')!;
          const ours = fileSyscallOf(r.fields.get('arch'), Number(r.fields.get('syscall')));
          expect(ours, `${file} ${id} ${name}`).toBe(FILE_CALLS.has(name) ? name : undefined);
          if (ours === undefined) continue;
          seen.set(ours, (seen.get(ours) ?? 0) + 1);
          const arg = OPEN_FLAGS_ARG[ours];
          if (arg === undefined) continue;
          expect(openFlagsText(r.fields.get('arch'), r.fields.get(arg)), `${file} ${id} ${arg}`).toBe(t!.get(arg));
          flagsCompared++;
        }
      }
    }
        expect(flagsCompared).toBeGreaterThanOrEqual(8);
    expect(seen.get('openat')).toBeGreaterThan(0);
    // The captures hold only openat among these: the others' numbers are checked below.
  }, 120_000);

  it.skipIf(skipWithoutAuditTools)('every number equals ausyscall ARCH NAME --exact', () => {
    const arches: [string, string][] = [['x86_64', 'c000003e'], ['i386', '40000003'], ['aarch64', 'c00000b7'], ['arm', '40000028'], ['ppc', '80000015']];
    let compared = 0;
    for (const [arch, auditArch] of arches) {
      for (const name of FILE_CALLS) {
        let nr: number | undefined;
        try {
          nr = Number(execFileSync('ausyscall', [arch, name, '--exact'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
        } catch {
          nr = undefined; // not a syscall of that arch (aarch64 has no open)
        }
        if (nr === undefined) continue;
        expect(fileSyscallOf(auditArch, nr), `${arch} ${name} ${nr}`).toBe(name);
        compared++;
      }
    }
    expect(compared).toBeGreaterThanOrEqual(90);
  });

  it('explain names a RAW log\'s openat, its path, CREATE and its flags', async () => {
    const c = listAuditdCaptures().find((x) => x.meta.name === 'net-files-login')!;
    expect(c.meta.logFormat).toBe('RAW');
    const records = scanAuditLogs(c.logFiles).records;
    // The openat that created a file: SYSCALL 257 on x86_64 with a CREATE PATH item.
    const created = records.find((r) => r.type === 'PATH' && r.fields.get('nametype') === 'CREATE' &&
      records.some((s) => s.type === 'SYSCALL' && s.serial === r.serial && s.fields.get('syscall') === '257'))!;
    const syscall = records.find((s) => s.type === 'SYSCALL' && s.serial === created.serial)!;
    const id = `${created.timeNs / 1_000_000_000n}.${String(created.timeNs / 1_000_000n % 1000n).padStart(3, '0')}:${created.serial}`;
    const r = await cliInProcess('explain', id, c.logDir, '--db', join(dir, 'n.db'));
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('what:  openat (success) [file]');
    const flags = openFlagsText('c000003e', syscall.fields.get('a2'))!;
    expect(flags).toContain('O_CREAT');
    expect(r.out).toContain(`file:  openat ${created.fields.get('name')!.replace(/^"(.*)"$/, '$1')} (created, ${flags})\n`);
  });
});
