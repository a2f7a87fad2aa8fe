/**
 * The few syscalls that shape a process tree, per audit architecture (`arch=` field, the
 * kernel's AUDIT_ARCH_* constant in hex). Numbers are from each arch's syscall table in
 * the kernel (arch/x86/entry/syscalls/syscall_64.tbl, syscall_32.tbl,
 * include/uapi/asm-generic/unistd.h for aarch64/riscv, arch/arm/tools/syscall.tbl,
 * arch/powerpc/kernel/syscalls/syscall.tbl; checked with `ausyscall`). kill/tkill/tgkill
 * matter because a process killed by a signal makes no exit_group record. Anything else is `undefined` (an "other"
 * syscall: still evidence that the process is alive).
 */
export type ProcSyscall = 'fork' | 'vfork' | 'clone' | 'clone3' | 'execve' | 'execveat' | 'exit' | 'exit_group' | 'kill' | 'tkill' | 'tgkill';

export interface ArchTable {
  name: string;
  /** clone's flags are in a0 on every arch listed here (not on s390, which is not listed). */
  syscalls: ReadonlyMap<number, ProcSyscall>;
}

function table(name: string, entries: Record<ProcSyscall, number | undefined>): ArchTable {
  const syscalls = new Map<number, ProcSyscall>();
  for (const [syscall, nr] of Object.entries(entries) as [ProcSyscall, number | undefined][]) {
    if (nr !== undefined) syscalls.set(nr, syscall);
  }
  return { name, syscalls };
}

/** asm-generic table (aarch64, riscv64, loongarch64): no fork/vfork syscalls at all. */
const GENERIC = { fork: undefined, vfork: undefined, clone: 220, clone3: 435, execve: 221, execveat: 281, exit: 93, exit_group: 94, kill: 129, tkill: 130, tgkill: 131 };

/** AUDIT_ARCH_* value (lower-case hex as auditd prints it) -> table. */
const ARCH_TABLES: ReadonlyMap<string, ArchTable> = new Map([
  ['c000003e', table('x86_64', { fork: 57, vfork: 58, clone: 56, clone3: 435, execve: 59, execveat: 322, exit: 60, exit_group: 231, kill: 62, tkill: 200, tgkill: 234 })],
  ['40000003', table('i386', { fork: 2, vfork: 190, clone: 120, clone3: 435, execve: 11, execveat: 358, exit: 1, exit_group: 252, kill: 37, tkill: 238, tgkill: 270 })],
  ['c00000b7', table('aarch64', GENERIC)],
  ['c00000f3', table('riscv64', GENERIC)],
  ['40000028', table('arm', { fork: 2, vfork: 190, clone: 120, clone3: 435, execve: 11, execveat: 387, exit: 1, exit_group: 248, kill: 37, tkill: 238, tgkill: 268 })],
  ['80000015', table('ppc64', { fork: 2, vfork: 189, clone: 120, clone3: 435, execve: 11, execveat: 362, exit: 1, exit_group: 234, kill: 37, tkill: 208, tgkill: 250 })],
  ['c0000015', table('ppc64le', { fork: 2, vfork: 189, clone: 120, clone3: 435, execve: 11, execveat: 362, exit: 1, exit_group: 234, kill: 37, tkill: 208, tgkill: 250 })],
]);

/** x32 ABI: arch is x86_64 but the syscall number carries __X32_SYSCALL_BIT. */
const X32_SYSCALL_BIT = 0x40000000;
const X32_OVERRIDES: ReadonlyMap<number, ProcSyscall> = new Map([
  [520, 'execve'],
  [545, 'execveat'],
]);

/** ENRICHED `SYSCALL=name` values we map, for arches without a table. */
const BY_NAME: ReadonlySet<string> = new Set(['fork', 'vfork', 'clone', 'clone3', 'execve', 'execveat', 'exit', 'exit_group', 'kill', 'tkill', 'tgkill']);

export function archTable(arch: string | undefined): ArchTable | undefined {
  return arch === undefined ? undefined : ARCH_TABLES.get(arch.toLowerCase());
}

/**
 * Classifies a syscall. `enrichedName` is the ENRICHED `SYSCALL=` field, resolved by the
 * auditd that wrote the log: used only when the arch is not in our tables.
 */
export function classifySyscall(arch: string | undefined, nr: number | undefined, enrichedName?: string): ProcSyscall | undefined {
  const archInfo = archTable(arch);
  if (archInfo !== undefined && nr !== undefined) {
    if (archInfo.name === 'x86_64' && nr >= X32_SYSCALL_BIT) {
      const x32 = nr - X32_SYSCALL_BIT;
      return X32_OVERRIDES.get(x32) ?? archInfo.syscalls.get(x32);
    }
    return archInfo.syscalls.get(nr);
  }
  if (enrichedName !== undefined && BY_NAME.has(enrichedName)) return enrichedName as ProcSyscall;
  return undefined;
}
