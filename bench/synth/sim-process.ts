import type { ArchInfo } from './arch-table.js';
import type { ProgramRole } from './command-catalogue.js';

/** One simulated process (thread group) on one host. Mutable: the host owns it. */
export interface SimProcess {
  pid: number;
  /** Current kernel parent (changes when the parent exits: reparented to init). */
  parent: SimProcess | undefined;
  children: Set<SimProcess>;
  depth: number;
  role: ProgramRole;
  /** ABI of the running image: a 32-bit program on a 64-bit kernel logs arch=i386. */
  arch: ArchInfo;
  exe: string;
  comm: string;
  argv: string[];
  cwd: string;
  uid: number;
  auid: number;
  ses: number;
  tty: string;
  /** Thread ids other than the leader. */
  threads: number[];
  /** Index in the host's live list (swap-remove). */
  liveIndex: number;
  /** Index in the host's spawner list, -1 when not a spawner. */
  spawnerIndex: number;
}

export function ppidOf(p: SimProcess): number {
  return p.parent === undefined ? 0 : p.parent.pid;
}
