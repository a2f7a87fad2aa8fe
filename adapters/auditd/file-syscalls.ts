import { archTable } from './syscall-table.js';

/**
 * The file syscalls whose PATH records name what a process opened, created, removed or
 * renamed, by number per audit arch (names as syscall-table.ts gives them). Numbers from
 * `ausyscall ARCH NAME --exact` (audit 3.0.9; riscv64 is not in it and uses the asm-generic
 * numbers of aarch64, which has no open/creat/unlink/rename/mkdir/rmdir/link/symlink/chmod/chown).
 */
export type FileSyscall =
  | 'open' | 'openat' | 'openat2' | 'creat' | 'unlink' | 'unlinkat' | 'rename' | 'renameat' | 'renameat2'
  | 'mkdir' | 'mkdirat' | 'rmdir' | 'link' | 'linkat' | 'symlink' | 'symlinkat' | 'truncate'
  | 'chmod' | 'fchmodat' | 'chown' | 'fchownat';

type Numbers = Partial<Record<FileSyscall, number>>;

const GENERIC: Numbers = {
  openat: 56, openat2: 437, unlinkat: 35, renameat: 38, renameat2: 276, mkdirat: 34, linkat: 37, symlinkat: 36,
  truncate: 45, fchmodat: 53, fchownat: 54,
};
/** i386, arm and ppc share the old numbers below 200; they differ for the *at calls and chown. */
const OLD_UNIX: Numbers = { open: 5, creat: 8, unlink: 10, link: 9, rename: 38, mkdir: 39, rmdir: 40, symlink: 83, truncate: 92, chmod: 15, openat2: 437 };
const PPC: Numbers = {
  ...OLD_UNIX, chown: 181, openat: 286, mkdirat: 287, fchownat: 289, unlinkat: 292, renameat: 293, linkat: 294,
  symlinkat: 295, fchmodat: 297, renameat2: 357,
};

const BY_ARCH: ReadonlyMap<string, ReadonlyMap<number, FileSyscall>> = new Map(
  Object.entries({
    x86_64: {
      open: 2, openat: 257, openat2: 437, creat: 85, unlink: 87, unlinkat: 263, rename: 82, renameat: 264, renameat2: 316,
      mkdir: 83, mkdirat: 258, rmdir: 84, link: 86, linkat: 265, symlink: 88, symlinkat: 266, truncate: 76, chmod: 90,
      fchmodat: 268, chown: 92, fchownat: 260,
    },
    i386: {
      ...OLD_UNIX, chown: 182, openat: 295, mkdirat: 296, fchownat: 298, unlinkat: 301, renameat: 302, linkat: 303,
      symlinkat: 304, fchmodat: 306, renameat2: 353,
    },
    aarch64: GENERIC,
    riscv64: GENERIC,
    arm: {
      ...OLD_UNIX, chown: 182, openat: 322, mkdirat: 323, fchownat: 325, unlinkat: 328, renameat: 329, linkat: 330,
      symlinkat: 331, fchmodat: 333, renameat2: 382,
    },
    ppc64: PPC,
    ppc64le: PPC,
  } satisfies Record<string, Numbers>).map(([arch, entries]) => [
    arch,
    new Map(Object.entries(entries).map(([name, nr]) => [nr, name as FileSyscall])),
  ]),
);

const ALL: ReadonlySet<string> = new Set([...BY_ARCH.values()].flatMap((m) => [...m.values()]));

/**
 * The file syscall of a SYSCALL record: by `arch` and number, else by the ENRICHED
 * `SYSCALL=` name when the arch is not in our tables. undefined for any other syscall.
 */
export function fileSyscallOf(arch: string | undefined, nr: number | undefined, enrichedName?: string): FileSyscall | undefined {
  const name = archTable(arch)?.name;
  const table = name === undefined ? undefined : BY_ARCH.get(name);
  if (table !== undefined && nr !== undefined) return table.get(nr);
  return enrichedName !== undefined && ALL.has(enrichedName) ? (enrichedName as FileSyscall) : undefined;
}

/** Which argument (a0..a3) holds the open flags, for the calls that take them. */
export const OPEN_FLAGS_ARG: Partial<Record<FileSyscall, 'a1' | 'a2'>> = { open: 'a1', openat: 'a2' };

/** Flags every arch here shares (include/uapi/asm-generic/fcntl.h), octal. */
const COMMON_FLAGS: readonly [string, number][] = [
  ['O_CREAT', 0o100], ['O_EXCL', 0o200], ['O_NOCTTY', 0o400], ['O_TRUNC', 0o1000], ['O_APPEND', 0o2000],
  ['O_NONBLOCK', 0o4000], ['O_DSYNC', 0o10000], ['O_NOATIME', 0o1000000], ['O_CLOEXEC', 0o2000000],
  ['O_PATH', 0o10000000], ['__O_SYNC', 0o4000000], ['__O_TMPFILE', 0o20000000], ['FASYNC', 0o20000],
];
/** The bits arm, arm64 and powerpc moved (arch/{arm,arm64,powerpc}/include/uapi/asm/fcntl.h). */
const GENERIC_BITS = { O_DIRECT: 0o40000, O_LARGEFILE: 0o100000, O_DIRECTORY: 0o200000, O_NOFOLLOW: 0o400000 };
const ARM_BITS = { O_DIRECTORY: 0o40000, O_NOFOLLOW: 0o100000, O_DIRECT: 0o200000, O_LARGEFILE: 0o400000 };
const PPC_BITS = { O_DIRECTORY: 0o40000, O_NOFOLLOW: 0o100000, O_LARGEFILE: 0o200000, O_DIRECT: 0o400000 };
const MOVED_BITS: Readonly<Record<string, Record<string, number>>> = {
  x86_64: GENERIC_BITS, i386: GENERIC_BITS, riscv64: GENERIC_BITS, aarch64: ARM_BITS, arm: ARM_BITS, ppc64: PPC_BITS, ppc64le: PPC_BITS,
};

/**
 * open(2) flags as audit logs them (hex, `a2=241`) -> `O_WRONLY|O_CREAT|O_TRUNC`, as
 * `ausearch -i` prints them; bits we cannot name stay as `0x...`. undefined when the value
 * is not hex or the arch is unknown (its flag bits differ).
 */
export function openFlagsText(arch: string | undefined, hex: string | undefined): string | undefined {
  const moved = MOVED_BITS[archTable(arch)?.name ?? ''];
  if (moved === undefined || hex === undefined || !/^[0-9a-fA-F]{1,16}$/.test(hex)) return undefined;
  let rest = Number(BigInt(`0x${hex}`) & 0xffffffffn);
  const names = [['O_RDONLY', 'O_WRONLY', 'O_RDWR', 'O_ACCMODE'][rest & 3]!];
  rest &= ~3;
  const sync = 0o4000000 | 0o10000;
  if ((rest & sync) === sync) {
    names.push('O_SYNC');
    rest &= ~sync;
  }
  for (const [name, bit] of [...COMMON_FLAGS, ...Object.entries(moved)]) {
    if ((rest & bit) !== 0) {
      names.push(name);
      rest &= ~bit;
    }
  }
  if (rest !== 0) names.push(`0x${(rest >>> 0).toString(16)}`);
  return names.join('|');
}
