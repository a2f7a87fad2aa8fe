import { archTable } from './syscall-table.js';

/**
 * The socket syscalls whose SOCKADDR record says where a process connected, listened or
 * sent, by number per audit arch (names as syscall-table.ts gives them). Numbers from each
 * arch's kernel syscall table, checked with `ausyscall ARCH NAME --exact` (audit 3.0.9;
 * it does not know riscv64, which uses the asm-generic numbers of aarch64).
 */
export type SocketSyscall =
  | 'socket' | 'bind' | 'connect' | 'listen' | 'accept' | 'accept4' | 'getsockname' | 'getpeername'
  | 'sendto' | 'recvfrom' | 'sendmsg' | 'recvmsg' | 'sendmmsg' | 'recvmmsg' | 'socketcall';

const GENERIC: Partial<Record<SocketSyscall, number>> = {
  socket: 198, bind: 200, listen: 201, accept: 202, connect: 203, getsockname: 204, getpeername: 205,
  sendto: 206, recvfrom: 207, sendmsg: 211, recvmsg: 212, accept4: 242, recvmmsg: 243, sendmmsg: 269,
};
const PPC: Partial<Record<SocketSyscall, number>> = {
  socketcall: 102, socket: 326, bind: 327, connect: 328, listen: 329, accept: 330, getsockname: 331, getpeername: 332,
  sendto: 335, recvfrom: 337, sendmsg: 341, recvmsg: 342, recvmmsg: 343, accept4: 344, sendmmsg: 349,
};

/** Arch name (syscall-table.ts) -> syscall number -> name. */
const BY_ARCH: ReadonlyMap<string, ReadonlyMap<number, SocketSyscall>> = new Map(
  Object.entries({
    x86_64: {
      socket: 41, connect: 42, accept: 43, sendto: 44, recvfrom: 45, sendmsg: 46, recvmsg: 47, bind: 49, listen: 50,
      getsockname: 51, getpeername: 52, accept4: 288, recvmmsg: 299, sendmmsg: 307,
    },
    // i386 had only socketcall(2) until Linux 4.3; the direct calls came then (no plain accept).
    i386: {
      socketcall: 102, recvmmsg: 337, sendmmsg: 345, socket: 359, bind: 361, connect: 362, listen: 363, accept4: 364,
      getsockname: 367, getpeername: 368, sendto: 369, sendmsg: 370, recvfrom: 371, recvmsg: 372,
    },
    aarch64: GENERIC,
    riscv64: GENERIC,
    arm: {
      socketcall: 102, socket: 281, bind: 282, connect: 283, listen: 284, accept: 285, getsockname: 286, getpeername: 287,
      sendto: 290, recvfrom: 292, sendmsg: 296, recvmsg: 297, recvmmsg: 365, accept4: 366, sendmmsg: 374,
    },
    ppc64: PPC,
    ppc64le: PPC,
  } satisfies Record<string, Partial<Record<SocketSyscall, number>>>).map(([arch, entries]) => [
    arch,
    new Map(Object.entries(entries).map(([name, nr]) => [nr, name as SocketSyscall])),
  ]),
);

/** socketcall(2)'s first argument (SYS_* of include/uapi/linux/net.h) -> the call it makes. */
const SOCKETCALL: readonly (SocketSyscall | undefined)[] = [
  undefined, 'socket', 'bind', 'connect', 'listen', 'accept', 'getsockname', 'getpeername', undefined,
  'sendto', 'recvfrom', 'sendto', 'recvfrom', undefined, undefined, undefined, 'sendmsg', 'recvmsg', 'accept4', 'recvmmsg', 'sendmmsg',
];

const ALL: ReadonlySet<string> = new Set([...BY_ARCH.values()].flatMap((m) => [...m.values()]));

/**
 * The socket syscall of a SYSCALL record: by `arch` and number, else by the ENRICHED
 * `SYSCALL=` name when the arch is not in our tables. undefined for any other syscall.
 */
export function socketSyscallOf(arch: string | undefined, nr: number | undefined, enrichedName?: string): SocketSyscall | undefined {
  const name = archTable(arch)?.name;
  const table = name === undefined ? undefined : BY_ARCH.get(name);
  if (table !== undefined && nr !== undefined) return table.get(nr);
  return enrichedName !== undefined && ALL.has(enrichedName) ? (enrichedName as SocketSyscall) : undefined;
}

/** The call a socketcall(2) makes, from its a0 (hex as audit logs it); send/recv count as sendto/recvfrom. */
export function socketcallOp(a0: string | undefined): SocketSyscall | undefined {
  if (a0 === undefined || !/^[0-9a-fA-F]{1,2}$/.test(a0)) return undefined;
  return SOCKETCALL[parseInt(a0, 16)];
}

/**
 * Which end of the conversation a SOCKADDR names, for this syscall: the peer the process
 * addressed (connect, send*), the peer it heard from (accept, recv*, getpeername), or its
 * own end (bind, getsockname). Decides ECS destination.* vs source.*.
 */
export function sockaddrRole(call: SocketSyscall | undefined): 'destination' | 'source' | 'local' | undefined {
  switch (call) {
    case 'connect': case 'sendto': case 'sendmsg': case 'sendmmsg': return 'destination';
    case 'accept': case 'accept4': case 'recvfrom': case 'recvmsg': case 'recvmmsg': case 'getpeername': return 'source';
    case 'bind': case 'getsockname': return 'local';
    default: return undefined;
  }
}
