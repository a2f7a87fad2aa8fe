import { measureCommand, type CommandRun, type MeasureOptions } from '../harness/measure-command.js';
import { ProcTreeCli } from '../harness/proc-tree-cli.js';

/** Runs the built CLI (dist/) as a child process under GNU time, as a user would. */
export class ProcTreeRunner {
  private readonly cli: ProcTreeCli;

  constructor(repoRoot: string) {
    this.cli = new ProcTreeCli(repoRoot);
  }

  run(args: string[], options: MeasureOptions = {}): Promise<CommandRun> {
    return measureCommand(this.cli.argv(args), { cwd: this.cli.repoRoot, ...options });
  }
}
