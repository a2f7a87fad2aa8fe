import type { ChildProcess } from 'node:child_process';
import Database from 'better-sqlite3';

/**
 * SIGKILLs a running `proc-tree ingest` as soon as committed rows are visible in its
 * database, waits for it to end, and says whether it was really cut short: killed before it
 * finished, with a source not marked complete. The resume point itself may still be at the
 * start then (it trails the reader by RESUME_CONTEXT_LINES), so the re-run that follows must
 * skip every re-read event that is already stored.
 */
export async function killOnceCommitted(child: ChildProcess, exited: Promise<unknown>, db: string): Promise<boolean> {
  let killed = false;
  for (let i = 0; i < 3000 && child.exitCode === null; i++) {
    await new Promise((r) => setTimeout(r, 5));
    try {
      const reader = new Database(db, { readonly: true, fileMustExist: true });
      const row = reader.prepare('SELECT count(*) AS n FROM instances').get() as { n: number } | undefined;
      reader.close();
      if ((row?.n ?? 0) > 0) {
        killed = child.kill('SIGKILL');
        break;
      }
    } catch {
      // not created or not migrated yet
    }
  }
  await exited;
  const reader = new Database(db, { readonly: true });
  const incomplete = reader.prepare('SELECT count(*) AS n FROM sources WHERE complete = 0').get() as { n: number };
  reader.close();
  return killed && incomplete.n > 0;
}
