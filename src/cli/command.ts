/** What a CLI command gets to talk to the world; injected so tests can capture it. */
export interface CliIo {
  /** Data for the user or for tools (text, JSON, NDJSON). */
  stdout: NodeJS.WritableStream;
  /** Progress, summaries and diagnostics: never data. */
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
}

/** One `proc-tree NAME ...` command. Returns the process exit code; throws UserError for user mistakes. */
export interface Command {
  /** One line for `proc-tree --help`. */
  summary: string;
  /** Full usage text for `proc-tree NAME --help`. */
  usage: string;
  run(args: string[], io: CliIo): Promise<number>;
}
