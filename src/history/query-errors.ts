import { UserError } from '../cli/user-error.js';
import { formatTimeNs } from '../time/format-time.js';

/** No instance of the pid was alive at that time: the CLI prints it and exits non-zero. */
export class NoProcessAtTimeError extends UserError {
  constructor(
    readonly pid: number,
    readonly atNs: bigint,
    host: string | undefined,
    hint: string,
  ) {
    super(`no process with pid ${pid} at ${formatTimeNs(atNs)}${host ? ` on host ${host}` : ''}${hint ? `: ${hint}` : ''}`);
    this.name = 'NoProcessAtTimeError';
  }
}
