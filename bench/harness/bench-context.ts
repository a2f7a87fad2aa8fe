import type { ProcTreeCli } from './proc-tree-cli.js';

/** What every bench section gets: where things are, and where to say what it is doing. */
export interface BenchContext {
  repoRoot: string;
  /** bench/data: generated and recorded logs, cached databases (git-ignored). */
  dataDir: string;
  /** Scratch space for this run's databases and peer outputs, deleted at the end. */
  scratchDir: string;
  cli: ProcTreeCli;
  /** Progress to stderr (tables go to stdout). */
  log(message: string): void;
}
