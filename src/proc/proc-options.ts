/** Where the proc filesystem is mounted. Tests may point at a copied directory instead. */
export const DEFAULT_PROC_ROOT = '/proc';

/** Options shared by every /proc reader. */
export interface ProcOptions {
  /** Root of the proc filesystem; `/proc` unless a test or a container setup says otherwise. */
  procRoot?: string;
}

/** `/proc/PID` (or `<procRoot>/PID`). */
export function pidDir(pid: number, options: ProcOptions = {}): string {
  return `${options.procRoot ?? DEFAULT_PROC_ROOT}/${pid}`;
}
