import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { generateAuditLog } from '../../bench/generate-audit-log.js';
import type { Probe } from '../../bench/generate-audit-log.js';

const dirs: string[] = [];
function outDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'proc-tree-gen-test-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const SIZE = 1.5 * 1024 * 1024;
const RECORD = /^(node=\S+ )?type=[A-Z_0-9]+ msg=audit\((\d+)\.(\d{3}):(\d+)\): ?/;

function readAll(files: { path: string }[]): string {
  return files.map((f) => readFileSync(f.path, 'latin1')).join('');
}

describe('generateAuditLog', () => {
  test('the same seed writes the same bytes; another seed does not', () => {
    const a = generateAuditLog({ out: outDir(), sizeBytes: SIZE, seed: 5 });
    const b = generateAuditLog({ out: outDir(), sizeBytes: SIZE, seed: 5 });
    const c = generateAuditLog({ out: outDir(), sizeBytes: SIZE, seed: 6 });
    expect(readAll(a.files)).toBe(readAll(b.files));
    expect(readAll(a.files)).not.toBe(readAll(c.files));
  });

  test('rotation names files like auditd (audit.log newest) and splits the same stream at event boundaries', () => {
    const single = generateAuditLog({ out: outDir(), sizeBytes: SIZE, seed: 9, format: 'raw' });
    const rotated = generateAuditLog({ out: outDir(), sizeBytes: SIZE, seed: 9, format: 'raw', rotateBytes: 256 * 1024 });
    expect(rotated.files.length).toBeGreaterThan(4);
    expect(rotated.files[rotated.files.length - 1]?.path.endsWith('/audit.log')).toBe(true);
    expect(rotated.files[0]?.path.endsWith(`/audit.log.${rotated.files.length - 1}`)).toBe(true);
    expect(readAll(rotated.files)).toBe(readAll(single.files));
  });

  test('every line is an audit record; RAW has no GS byte, ENRICHED does', () => {
    for (const format of ['raw', 'enriched'] as const) {
      const s = generateAuditLog({ out: outDir(), sizeBytes: SIZE, seed: 2, format });
      const lines = readAll(s.files).split('\n').slice(0, -1);
      expect(lines.length).toBe(s.lines);
      for (const l of lines) expect(l).toMatch(RECORD);
      expect(lines.some((l) => l.includes('\x1d'))).toBe(format === 'enriched');
    }
  });

  test('several hosts are interleaved with node= prefixes and keep their own serials', () => {
    const s = generateAuditLog({ out: outDir(), sizeBytes: SIZE, seed: 3, hosts: 3, arches: ['x86_64', 'aarch64'] });
    const lines = readAll(s.files).split('\n').slice(0, -1);
    const nodes = new Set(lines.map((l) => /^node=(\S+) /.exec(l)?.[1]));
    expect([...nodes].sort()).toEqual(['host-1', 'host-2', 'host-3']);
    expect(lines.some((l) => l.startsWith('node=host-2 ') && l.includes('arch=c00000b7'))).toBe(true);
    expect(lines.some((l) => l.startsWith('node=host-1 ') && l.includes('arch=c00000b7'))).toBe(false);
  });

  test('the log holds the hard cases: threads, clone3, pid reuse, long EXECVE, failed execs, exit without result', () => {
    const s = generateAuditLog({ out: outDir(), sizeBytes: 3 * SIZE, seed: 4, pidMax: 800, live: 150, longArgsShare: 0.05 });
    const text = readAll(s.files);
    expect(text).toMatch(/syscall=56 success=yes exit=\d+ a0=3d0f00 /); // clone with CLONE_THREAD
    expect(text).toMatch(/syscall=435 success=yes /); // clone3
    expect(text).toMatch(/syscall=60 a0=/); // a thread's exit
    expect(text).toMatch(/a\d+_len=\d+ a\d+\[0\]=/); // chunked argument
    expect(text).toMatch(/syscall=59 success=no exit=-2 /); // PATH search miss
    const forks = [...text.matchAll(/syscall=(?:56|57|58|435) success=yes exit=(\d+) a0=(?!3d0f00)/g)].map((m) => Number(m[1]));
    expect(new Set(forks).size).toBeLessThan(forks.length); // pids were reused
    expect(s.hosts[0]?.counts.reparented).toBeGreaterThan(0);
  });

  test('probes carry chains up to init, sorted by time, at instants no record shares', () => {
    const s = generateAuditLog({ out: outDir(), sizeBytes: SIZE, seed: 8, probes: 50 });
    const probes = (JSON.parse(readFileSync(s.probesFile, 'utf8')) as { probes: Probe[] }).probes;
    expect(probes.length).toBe(50);
    for (const p of probes) {
      expect(p.chain[0]).toBe(p.pid);
      expect(p.chain[p.chain.length - 1]).toBe(1);
      expect(p.atNs.endsWith('999999')).toBe(true);
    }
    const times = probes.map((p) => BigInt(p.atNs));
    expect([...times].sort((a, b) => (a < b ? -1 : 1))).toEqual(times);
  });

  test('stops at the process limit when one is given', () => {
    const s = generateAuditLog({ out: outDir(), sizeBytes: 1e12, maxProcesses: 3000, seed: 1 });
    const made = s.hosts[0]?.counts.processes ?? 0;
    expect(made).toBeGreaterThanOrEqual(3000);
    expect(made).toBeLessThan(3000 + 1024);
  });
});
