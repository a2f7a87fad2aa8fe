import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { UserError } from '../cli/user-error.js';

/** Where a renderer writes: stdout, or a file opened before anything is read. */
export interface OpenedOutput {
  out: NodeJS.WritableStream;
  /** Ends the file (waits until it is closed); nothing for stdout. */
  close(): Promise<void>;
}

/** `-o FILE` (opened now, so a bad path fails before any work) or stdout. */
export async function openOutput(file: string | undefined, stdout: NodeJS.WritableStream): Promise<OpenedOutput> {
  if (file === undefined) return { out: stdout, close: async () => undefined };
  const out = createWriteStream(file);
  await once(out, 'open').catch((e: NodeJS.ErrnoException) => {
    throw new UserError(`cannot write ${file}: ${e.code === 'ENOENT' ? 'no such directory' : e.code === 'EACCES' ? 'permission denied' : e.message}`);
  });
  return {
    out,
    close: async () => {
      out.end();
      await once(out, 'close');
    },
  };
}
