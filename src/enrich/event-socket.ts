import { bigEndianArch, decodeSockaddr, socketAddressText, type SocketAddress } from '../../adapters/auditd/decode-sockaddr.js';
import { errnoOfExit, type ErrnoName } from '../../adapters/auditd/errno-names.js';
import { socketcallOp, socketSyscallOf, sockaddrRole, type SocketSyscall } from '../../adapters/auditd/socket-syscalls.js';
import type { RecordFields } from './record-fields.js';

type Json = Record<string, unknown>;

/** The address of an event's SOCKADDR record, with the syscall that passed it and what that syscall returned. */
export interface EventSocket {
  address: SocketAddress;
  /** The socket syscall (for socketcall(2), the call it made), when known. */
  call?: SocketSyscall;
  /** Which end the address is: the peer addressed, the peer heard from, or the process's own. */
  role?: 'destination' | 'source' | 'local';
  /** The ENRICHED log's own reading (`SADDR={ ... }` without the braces), when it has one. */
  saddrText?: string;
}

/** The socket part of an event, or undefined when it has no SOCKADDR record with a readable saddr. */
export function eventSocket(records: readonly RecordFields[]): EventSocket | undefined {
  const rec = records.find((r) => r.type === 'SOCKADDR' && r.fields.saddr !== undefined);
  if (rec === undefined) return undefined;
  const syscall = records.find((r) => r.type === 'SYSCALL');
  const address = decodeSockaddr(rec.fields.saddr!, bigEndianArch(syscall?.fields.arch));
  if (address === undefined) return undefined;
  const out: EventSocket = { address };
  const call = syscall === undefined ? undefined : socketCallOf(syscall);
  if (call !== undefined) out.call = call;
  const role = sockaddrRole(call);
  if (role !== undefined) out.role = role;
  const saddr = rec.fields.SADDR?.trim();
  if (saddr !== undefined && saddr.startsWith('{') && saddr.endsWith('}')) out.saddrText = saddr.slice(1, -1).trim();
  return out;
}

function socketCallOf(r: RecordFields): SocketSyscall | undefined {
  const nr = r.fields.syscall === undefined ? undefined : Number(r.fields.syscall);
  const call = socketSyscallOf(r.fields.arch, Number.isInteger(nr) ? nr : undefined, r.fields.SYSCALL);
  return call === 'socketcall' ? (socketcallOp(r.fields.a0) ?? call) : call;
}

/** A failed SYSCALL's errno (`success=no exit=-111` -> ECONNREFUSED), from the event's SYSCALL record. */
export function syscallErrno(records: readonly RecordFields[]): ErrnoName | undefined {
  const r = records.find((x) => x.type === 'SYSCALL');
  return r === undefined || r.fields.success !== 'no' ? undefined : errnoOfExit(r.fields.exit);
}

/** `exit=-115 EINPROGRESS: operation now in progress`, with a word on what that means for a non-blocking connect. */
export function errnoText(e: ErrnoName): string {
  const named = e.name === undefined ? `errno ${e.errno}` : `${e.name}: ${e.message}`;
  const note = e.name === 'EINPROGRESS' ? '; a non-blocking connect, its result comes later' : '';
  return `exit=-${e.errno} ${named}${note}`;
}

const ROLE_WORD = { destination: 'to', source: 'from', local: 'on' } as const;

/** `connect to inet 127.0.0.1:37285`, `bind on inet6 [::]:42497`, `sendto to netlink pid 0`. */
export function eventSocketText(s: EventSocket): string {
  const call = s.call ?? 'address';
  return `${call}${s.role !== undefined ? ` ${ROLE_WORD[s.role]}` : ''} ${socketAddressText(s.address)}`;
}

/**
 * ECS fields for the address: `destination.*` for the peer a process addressed, `source.*`
 * for the peer it heard from and for its own bound address (ECS has no "local" side; the
 * local end of an exchange is its source); `*.address` is the IP or the socket path
 * (ECS: "an IP, a domain or a unix socket"); `network.type` ipv4/ipv6. Netlink and other
 * families get none: they are under proc_tree.socket only.
 */
export function ecsSocketFields(s: EventSocket): Json {
  const a = s.address;
  const out: Json = {};
  const side = s.role === 'destination' ? 'destination' : s.role === undefined ? undefined : 'source';
  if (side === undefined) return out;
  if ('ip' in a) {
    out[side] = { address: a.ip, ip: a.ip, port: a.port };
    out.network = { type: a.family === 'inet' ? 'ipv4' : 'ipv6' };
  } else if ('path' in a) out[side] = { address: `${a.abstract ? '@' : ''}${a.path}` };
  return out;
}

/** `proc_tree.socket`: the whole decoding, snake_case as the rest of proc_tree. */
export function procTreeSocket(s: EventSocket): Json {
  const a = s.address;
  const out: Json = { family: a.family, family_number: a.familyNumber };
  if (a.afName !== undefined) out.af = a.afName;
  if ('ip' in a) {
    out.ip = a.ip;
    out.port = a.port;
    if (a.scopeId !== undefined) out.scope_id = a.scopeId;
  } else if ('unnamed' in a) out.unnamed = true;
  else if ('path' in a) {
    out.path = a.path;
    out.abstract = a.abstract;
  } else if ('netlinkPid' in a) {
    out.netlink_pid = a.netlinkPid;
    out.netlink_groups = a.netlinkGroups;
  } else {
    out.hex = a.hex;
    if (a.short) out.too_short = true;
  }
  if (s.call !== undefined) out.syscall = s.call;
  if (s.role !== undefined) out.role = s.role;
  out.text = socketAddressText(a);
  return out;
}

/** ECS `error.code`/`error.message` for a failed syscall with a known errno. */
export function ecsErrorFields(records: readonly RecordFields[]): Json {
  const e = syscallErrno(records);
  if (e === undefined) return {};
  return { error: { code: e.name ?? String(e.errno), ...(e.message !== undefined ? { message: e.message } : {}) } };
}
