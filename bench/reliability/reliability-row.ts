/**
 * One row of the reliability table (docs/reliability.md): what was tried in one category of
 * faults or bad input, and what came of it. Every row is produced by running a case in
 * bench/reliability/cases/, never typed by hand.
 */
export interface ReliabilityRow {
  /** The group the row belongs to: 'fuzz auditd', 'kill -9', 'bad database', 'compressed input', ... */
  category: string;
  /** What this row tried, in a few words: 'bit flips', 'truncated .gz', 'ingest --follow across rotation'. */
  case: string;
  /** Inputs (or runs) tried. */
  inputsTried: number;
  /** Runs that ended by a signal or an exit status that is not a documented one. */
  crashes: number;
  /** Runs that printed `internal error` or a stack trace. */
  internalErrors: number;
  /** Largest peak RSS of one run (ru_maxrss of the waited child), MiB. */
  maxPeakRssMiB: number;
  /** kill -9 cases: kill points after which the resumed run still gave the uninterrupted result. */
  killPointsSurvived?: number;
  /** Cases that compare databases: whether every canonical dump equalled the reference. */
  dumpsIdentical?: boolean;
  /** How to reproduce the row (a command run from the repository root). */
  command: string;
  /** Anything a reader needs to judge the figures: exit codes seen, damaged records counted, ... */
  notes?: string;
}

/** What the generator hands to every case. */
export interface ReliabilityCaseOptions {
  /** Repository root: dist/, samples/ and the CLI are found from here. */
  repoRoot: string;
  /** A fresh temp directory for this case, removed afterwards. */
  workDir: string;
  /** Seed for every random choice, so that a row can be reproduced exactly. */
  seed: number;
  /** Fewer repetitions and smaller inputs (a smoke run of the generator). */
  quick: boolean;
}

/** A module in bench/reliability/cases/: one or more rows of the table. */
export interface ReliabilityCase {
  run(options: ReliabilityCaseOptions): Promise<ReliabilityRow[]>;
}
