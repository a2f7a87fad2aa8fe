import { COMMANDS } from './commands/index.js';
import type { CliIo } from './command.js';
import { UserError } from './user-error.js';

const PROGRAM = 'proc-tree';

async function topLevelHelp(out: NodeJS.WritableStream): Promise<void> {
  const lines = [`usage: ${PROGRAM} COMMAND [options]`, '', 'commands:'];
  for (const [name, load] of Object.entries(COMMANDS)) {
    const { default: command } = await load();
    lines.push(`  ${name.padEnd(12)} ${command.summary}`);
  }
  lines.push('', `Run '${PROGRAM} COMMAND --help' for a command's options.`);
  out.write(lines.join('\n') + '\n');
}

/** Runs one invocation and returns its exit code. Never calls process.exit itself. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    // Asked for help: data on stdout, exit 0. No command at all: a usage error on stderr.
    await topLevelHelp(name === undefined ? io.stderr : io.stdout);
    return name === undefined ? 2 : 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    io.stderr.write(`${PROGRAM}: unknown command '${name}'. Run '${PROGRAM} --help' for the list.\n`);
    return 2;
  }
  const { default: command } = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(command.usage.endsWith('\n') ? command.usage : command.usage + '\n');
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UserError) {
      io.stderr.write(`${PROGRAM} ${name}: ${error.message}\n`);
      for (const line of error.after) io.stderr.write(`${PROGRAM} ${name}: ${line}\n`);
      return error.exitCode;
    }
    if (isNodeError(error) && error.code === 'EPIPE') return 0;
    throw error;
  }
}

function isNodeError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && 'code' in error;
}
