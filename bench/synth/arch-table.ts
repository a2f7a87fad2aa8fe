/**
 * The audit `arch=` values and process-lifecycle syscall numbers the generator writes.
 * Numbers are the kernel's (arch/x86/entry/syscalls/syscall_64.tbl, syscall_32.tbl and the
 * asm-generic table aarch64 uses); aarch64 has no fork/vfork syscalls, glibc uses clone.
 */
export type ArchName = 'x86_64' | 'i386' | 'aarch64';

export interface ArchInfo {
  name: ArchName;
  /** `arch=` as auditd writes it (AUDIT_ARCH_* in hex). */
  auditArch: string;
  syscalls: {
    fork?: number;
    vfork?: number;
    clone: number;
    clone3: number;
    execve: number;
    execveat: number;
    exit: number;
    exit_group: number;
    /** Noise: syscalls other rules in a typical rule set log. */
    openat: number;
    sendto: number;
    write: number;
  };
}

export const ARCHES: Record<ArchName, ArchInfo> = {
  x86_64: {
    name: 'x86_64',
    auditArch: 'c000003e',
    syscalls: { fork: 57, vfork: 58, clone: 56, clone3: 435, execve: 59, execveat: 322, exit: 60, exit_group: 231, openat: 257, sendto: 44, write: 1 },
  },
  i386: {
    name: 'i386',
    auditArch: '40000003',
    syscalls: { fork: 2, vfork: 190, clone: 120, clone3: 435, execve: 11, execveat: 358, exit: 1, exit_group: 252, openat: 295, sendto: 369, write: 4 },
  },
  aarch64: {
    name: 'aarch64',
    auditArch: 'c00000b7',
    syscalls: { clone: 220, clone3: 435, execve: 221, execveat: 281, exit: 93, exit_group: 94, openat: 56, sendto: 206, write: 64 },
  },
};

/** Syscall name for the ENRICHED `SYSCALL=` field, by number, per arch. */
export function syscallName(arch: ArchInfo, nr: number): string {
  let names = NAMES.get(arch);
  if (names === undefined) {
    names = new Map(Object.entries(arch.syscalls).map(([name, value]) => [value as number, name]));
    NAMES.set(arch, names);
  }
  return names.get(nr) ?? String(nr);
}

const NAMES = new Map<ArchInfo, Map<number, string>>();

/**
 * clone() flag words as they appear in `a0=` (hex). glibc's fork() passes
 * CLONE_CHILD_SETTID|CLONE_CHILD_CLEARTID|SIGCHLD; pthread_create (before glibc 2.34 moved
 * to clone3) passes the thread set including CLONE_THREAD (0x10000); posix_spawn/vfork
 * pass CLONE_VM|CLONE_VFORK|SIGCHLD.
 */
export const CLONE_FLAGS = {
  fork: '1200011',
  thread: '3d0f00',
  vfork: '4111',
} as const;

/** clone3 takes a struct pointer in a0 and its size in a1: 0x58 = 88 bytes (struct clone_args v2). */
export const CLONE3_ARGS_SIZE = '58';
