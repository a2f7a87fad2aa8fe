import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';

const repo = resolve(import.meta.dirname, '..', '..');
const runBench = join(repo, 'dist', 'bench', 'run-bench.js');
const work = mkdtempSync(join(tmpdir(), 'proc-tree-real-section-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function bench(args: string[]): { stdout: string; json: Record<string, unknown> } {
  const results = join(work, `results-${Math.random().toString(36).slice(2)}`);
  const stdout = execFileSync(process.execPath, [runBench, '--real-only', '--no-peers', '--no-record', '--results-dir', results, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { stdout, json: JSON.parse(readFileSync(join(results, 'latest.json'), 'utf8')) as Record<string, unknown> };
}

describe('npm run bench --real-only', () => {
  test('on a real rotated capture: lines and CPU-s of proc-tree ingest, and every target with met / NOT MET', () => {
    // A copy: the section writes combined.log beside the rotated files.
    const dir = join(work, 'busy');
    cpSync(join(repo, 'samples', 'auditd', 'busy-machine-rotation', 'logs'), dir, { recursive: true });
    const { stdout, json } = bench(['--real-log-dir', dir]);
    const parts = ['audit.log.2', 'audit.log.1', 'audit.log'].map((f) => readFileSync(join(dir, f), 'latin1'));
    const lines = parts.join('').split('\n').length - 1;
    const real = json.real as { figures: { lines: number; cpuS: number; linesPerCpuS: number; peakRssMiB: number }; targets: { target: string; met: boolean | undefined }[] };
    expect(real.figures.lines).toBe(lines);
    expect(real.figures.cpuS).toBeGreaterThan(0);
    expect(real.figures.linesPerCpuS).toBeCloseTo(lines / real.figures.cpuS, 6);
    expect(real.figures.peakRssMiB).toBeGreaterThan(10);
    // Less than 1 MB: the size target is not met, and the table says so.
    expect(real.targets.find((t) => t.target.startsWith('real log >='))?.met).toBe(false);
    expect(real.targets.find((t) => t.target.includes('laurel per CPU-s'))?.met).toBeUndefined(); // --no-peers
    expect(stdout).toMatch(/real log >= 200 MB +\S+ MB, [\d.k]+ lines +NOT MET/);
    expect(stdout).toMatch(/peak RSS <= 256 MiB +\d+ MiB +met/);
    expect(stdout).toContain('>= 4x laurel per CPU-s');
  });

  test('--no-record on a directory without a log says so instead of recording', () => {
    const empty = join(work, 'empty');
    const { stdout, json } = bench(['--real-log-dir', empty]);
    expect(stdout).toContain(`no real log in ${empty} and --no-record given`);
    expect((json.real as { figures?: unknown }).figures).toBeUndefined();
  });
});
