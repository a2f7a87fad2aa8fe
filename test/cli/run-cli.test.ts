import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from './cli-runner.js';

describe('proc-tree top level', () => {
  it('prints the command list on stdout and exits 0 for --help', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^usage: proc-tree COMMAND/);
    expect(result.stdout).toMatch(/\n {2}ancestry {4}/);
    expect(result.stderr).toBe('');
  });

  it('treats no command as a usage error: list on stderr, nothing on stdout, exit 2', async () => {
    const result = await runCli([]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^usage: proc-tree COMMAND/);
  });

  it('names an unknown command in one line on stderr and exits 2', async () => {
    const result = await runCli(['ancestor']);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual([`proc-tree: unknown command 'ancestor'. Run 'proc-tree --help' for the list.`]);
  });

  it('runs as the package bin, as the README tells: `npx --no-install proc-tree --help` (the build makes it executable)', async () => {
    const bin = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
    const { stdout } = await promisify(execFile)(bin, ['--help'], { cwd: REPO_ROOT });
    expect(stdout).toMatch(/^usage: proc-tree COMMAND/);
  });
});
