import { describe, expect, it } from 'vitest';
import { classifySyscall } from '../../../adapters/auditd/syscall-table.js';

describe('classifySyscall', () => {
  it('knows the process syscalls of x86_64, i386 and aarch64', () => {
    expect([56, 57, 58, 59, 60, 231, 322, 435].map((n) => classifySyscall('c000003e', n))).toEqual(['clone', 'fork', 'vfork', 'execve', 'exit', 'exit_group', 'execveat', 'clone3']);
    expect([2, 11, 120, 190, 1, 252, 358].map((n) => classifySyscall('40000003', n))).toEqual(['fork', 'execve', 'clone', 'vfork', 'exit', 'exit_group', 'execveat']);
    expect([220, 221, 93, 94, 281, 435].map((n) => classifySyscall('c00000b7', n))).toEqual(['clone', 'execve', 'exit', 'exit_group', 'execveat', 'clone3']);
  });

  it('does not mistake another arch\'s numbers (59 is not execve on aarch64)', () => {
    expect(classifySyscall('c00000b7', 59)).toBeUndefined();
    expect(classifySyscall('c00000b7', 57)).toBeUndefined();
  });

  it('reads x32 syscalls (x86_64 arch with the x32 bit)', () => {
    expect(classifySyscall('c000003e', 0x40000000 + 520)).toBe('execve');
    expect(classifySyscall('c000003e', 0x40000000 + 57)).toBe('fork');
  });

  it('falls back to the ENRICHED SYSCALL= name for arches without a table', () => {
    expect(classifySyscall('80000016', 11, 'execve')).toBe('execve');
    expect(classifySyscall('80000016', 11)).toBeUndefined();
    expect(classifySyscall('80000016', 11, 'bind')).toBeUndefined();
  });
});
