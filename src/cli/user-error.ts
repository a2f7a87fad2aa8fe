/**
 * A problem the user can fix (bad argument, missing file, no permission). The CLI prints
 * its message on one line, without a stack trace, and exits with `exitCode`.
 */
export class UserError extends Error {
  /**
   * Lines said after the message, each as its own `proc-tree CMD:` line: what the command did
   * on its way out (ingest: the database it had created, removed again). The reason comes first.
   */
  readonly after: string[] = [];

  constructor(
    message: string,
    readonly exitCode: number = 1,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** Wrong invocation: exit code 2, like most Unix tools. */
export class UsageError extends UserError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'UsageError';
  }
}

/**
 * Exit status of a run that finished but whose result is incomplete: input that could not
 * be read (ingest), events the kernel dropped (capture, watch). What was read is stored.
 */
export const EXIT_INCOMPLETE = 3;
