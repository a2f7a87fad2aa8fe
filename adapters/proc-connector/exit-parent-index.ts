/**
 * Replay's knowledge of the future: for each process incarnation, the parent its own EXIT
 * named. Built by a first pass over a capture so that, when a parent exits, each orphan's
 * reaper is known exactly (the child's later EXIT carries its parent at that time), not
 * guessed. Kept per pid as offset-ordered entries; a FORK of the pid starts a new
 * incarnation, so an EXIT after it says nothing about the earlier one.
 */
export class ExitParentIndex {
  private readonly byPid = new Map<number, Array<{ offset: number; parent?: number }>>();

  addFork(pid: number, offset: number): void {
    this.entries(pid).push({ offset });
  }

  addExit(pid: number, offset: number, parent: number): void {
    this.entries(pid).push({ offset, parent });
  }

  /** Parent named by the first EXIT of `pid` after `offset`, unless a FORK of it comes first. */
  parentAtNextExit(pid: number, offset: number): number | undefined {
    const entries = this.byPid.get(pid);
    if (!entries) return undefined;
    let lo = 0;
    let hi = entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (entries[mid]!.offset <= offset) lo = mid + 1;
      else hi = mid;
    }
    const next = entries[lo];
    return next?.parent !== undefined && next.parent > 0 ? next.parent : undefined;
  }

  private entries(pid: number): Array<{ offset: number; parent?: number }> {
    let list = this.byPid.get(pid);
    if (!list) this.byPid.set(pid, (list = []));
    return list;
  }
}
