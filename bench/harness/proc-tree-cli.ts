import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** How the bench runs the proc-tree CLI: the built dist, with this very node binary. */
export class ProcTreeCli {
  readonly main: string;

  constructor(readonly repoRoot: string) {
    this.main = join(repoRoot, 'dist', 'src', 'cli', 'main.js');
  }

  argv(args: string[]): string[] {
    return [process.execPath, this.main, ...args];
  }

  /** Why a command cannot be benchmarked yet (still a placeholder, not built), or undefined. */
  unavailable(command: string): string | undefined {
    if (!existsSync(this.main)) return `${this.main} missing: run 'npx tsc -p .' first`;
    try {
      const usage = execFileSync(process.execPath, [this.main, command, '--help'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      if (usage.includes('not built yet')) return `'proc-tree ${command}' is not built yet`;
      return undefined;
    } catch (error) {
      return `'proc-tree ${command} --help' failed: ${(error as Error).message.split('\n')[0]}`;
    }
  }
}

/** Size of a SQLite database with its WAL and shared-memory files. */
export function databaseBytes(db: string): number {
  let total = 0;
  for (const f of [db, `${db}-wal`, `${db}-shm`]) if (existsSync(f)) total += statSync(f).size;
  return total;
}

export function removeDatabase(db: string): void {
  for (const f of [db, `${db}-wal`, `${db}-shm`, `${db}-journal`]) rmSync(f, { force: true });
}
