import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './user-error.js';

/**
 * node:util parseArgs (strict by default) with its errors (unknown option, missing value)
 * turned into a UsageError that repeats the command's usage: a wrong invocation gets a
 * message and exit 2, never a stack trace.
 */
export function parseCommandArgs<T extends ParseArgsConfig>(config: T, usage: string): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message : String(error)}\n${usage}`);
  }
}
