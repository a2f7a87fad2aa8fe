#!/usr/bin/env node
import type { CliIo } from './command.js';
import { runCli } from './run-cli.js';

const PROGRAM = 'proc-tree';

/** The single place the process exits. */
async function main(): Promise<void> {
  const io: CliIo = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin };
  // `proc-tree ... | head` closes our stdout early: that is a normal end, not a crash.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  let code: number;
  try {
    code = await runCli(process.argv.slice(2), io);
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`${PROGRAM}: internal error (please report it with the command you ran):\n${message}\n`);
    code = 70;
  }
  // Let buffered stdout drain before exiting so piped output is complete.
  process.exitCode = code;
}

await main();
