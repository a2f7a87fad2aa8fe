import { PassThrough } from 'node:stream';
import { runCli } from '../../src/cli/run-cli.js';

/** Runs one CLI invocation in this process (no build needed) and collects its output. */
export async function cliInProcess(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return cliWithStdin(new PassThrough(), ...args);
}

/** `cliInProcess` with `stdin` as the command's standard input (e.g. a file's read stream for `-`). */
export async function cliWithStdin(stdin: NodeJS.ReadableStream, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await runCli(args, { stdout, stderr, stdin });
  return { code, out, err };
}
