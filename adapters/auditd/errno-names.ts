/**
 * The errno values a failed syscall's `exit=-N` most often carries, with glibc's
 * strerror text in lower case. Numbers of include/uapi/asm-generic/errno*.h, which x86,
 * arm, aarch64, riscv and powerpc share for all of these (alpha, mips, sparc and parisc
 * differ, and have no table in syscall-table.ts either).
 */
const ERRNO: ReadonlyMap<number, [string, string]> = new Map([
  [1, ['EPERM', 'operation not permitted']],
  [2, ['ENOENT', 'no such file or directory']],
  [3, ['ESRCH', 'no such process']],
  [4, ['EINTR', 'interrupted system call']],
  [5, ['EIO', 'input/output error']],
  [9, ['EBADF', 'bad file descriptor']],
  [11, ['EAGAIN', 'resource temporarily unavailable']],
  [12, ['ENOMEM', 'cannot allocate memory']],
  [13, ['EACCES', 'permission denied']],
  [14, ['EFAULT', 'bad address']],
  [16, ['EBUSY', 'device or resource busy']],
  [17, ['EEXIST', 'file exists']],
  [20, ['ENOTDIR', 'not a directory']],
  [21, ['EISDIR', 'is a directory']],
  [22, ['EINVAL', 'invalid argument']],
  [23, ['ENFILE', 'too many open files in system']],
  [24, ['EMFILE', 'too many open files']],
  [28, ['ENOSPC', 'no space left on device']],
  [30, ['EROFS', 'read-only file system']],
  [32, ['EPIPE', 'broken pipe']],
  [36, ['ENAMETOOLONG', 'file name too long']],
  [38, ['ENOSYS', 'function not implemented']],
  [40, ['ELOOP', 'too many levels of symbolic links']],
  [88, ['ENOTSOCK', 'socket operation on non-socket']],
  [89, ['EDESTADDRREQ', 'destination address required']],
  [91, ['EPROTOTYPE', 'protocol wrong type for socket']],
  [93, ['EPROTONOSUPPORT', 'protocol not supported']],
  [95, ['EOPNOTSUPP', 'operation not supported']],
  [97, ['EAFNOSUPPORT', 'address family not supported by protocol']],
  [98, ['EADDRINUSE', 'address already in use']],
  [99, ['EADDRNOTAVAIL', 'cannot assign requested address']],
  [100, ['ENETDOWN', 'network is down']],
  [101, ['ENETUNREACH', 'network is unreachable']],
  [103, ['ECONNABORTED', 'software caused connection abort']],
  [104, ['ECONNRESET', 'connection reset by peer']],
  [105, ['ENOBUFS', 'no buffer space available']],
  [106, ['EISCONN', 'transport endpoint is already connected']],
  [107, ['ENOTCONN', 'transport endpoint is not connected']],
  [110, ['ETIMEDOUT', 'connection timed out']],
  [111, ['ECONNREFUSED', 'connection refused']],
  [113, ['EHOSTUNREACH', 'no route to host']],
  [114, ['EALREADY', 'operation already in progress']],
  [115, ['EINPROGRESS', 'operation now in progress']],
]);

export interface ErrnoName {
  errno: number;
  /** EPERM, ECONNREFUSED, ...; undefined for a number not in the table. */
  name?: string;
  message?: string;
}

/** The errno of a SYSCALL's `exit=` when it is a negative errno (-4095..-1), else undefined. */
export function errnoOfExit(exit: string | undefined): ErrnoName | undefined {
  if (exit === undefined || !/^-\d{1,4}$/.test(exit)) return undefined;
  const errno = -Number(exit);
  if (errno < 1 || errno > 4095) return undefined;
  const known = ERRNO.get(errno);
  return known === undefined ? { errno } : { errno, name: known[0], message: known[1] };
}
