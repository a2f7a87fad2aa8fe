import { hexToBytes } from './decode-value.js';

/**
 * A SOCKADDR record's `saddr=` (hex of the struct sockaddr the syscall passed or got back),
 * decoded. Family names are auparse's, so they read like the `SADDR={ saddr_fam=... }` text
 * an ENRICHED log carries (`local`, `inet`, `inet6`, `netlink`); the kernel's AF_* name
 * rides along for a reader who thinks in those.
 */
export type SocketAddress =
  | { family: 'local'; afName: 'AF_UNIX'; familyNumber: 1; path: string; abstract: boolean }
  | { family: 'local'; afName: 'AF_UNIX'; familyNumber: 1; unnamed: true }
  | { family: 'inet' | 'inet6'; afName: 'AF_INET' | 'AF_INET6'; familyNumber: 2 | 10; ip: string; port: number; scopeId?: number }
  | { family: 'netlink'; afName: 'AF_NETLINK'; familyNumber: 16; netlinkPid: number; netlinkGroups: number }
  /** A family we do not open (or one too short to hold its address): its number and the bytes after it. */
  | { family: string; afName?: string; familyNumber: number; hex: string; short?: true };

/** AF_* numbers (include/linux/socket.h) -> auparse's family name, for the families not opened. */
const OTHER_FAMILIES: ReadonlyMap<number, [string, string]> = new Map([
  [0, ['unspec', 'AF_UNSPEC']],
  [4, ['ipx', 'AF_IPX']],
  [5, ['appletalk', 'AF_APPLETALK']],
  [17, ['packet', 'AF_PACKET']],
  [31, ['bluetooth', 'AF_BLUETOOTH']],
  [38, ['alg', 'AF_ALG']],
  [40, ['vsock', 'AF_VSOCK']],
  [44, ['xdp', 'AF_XDP']],
]);

/** sizeof(struct sockaddr_in), sizeof(struct sockaddr_in6): auparse says "len too short" below these. */
const SOCKADDR_IN_LEN = 16;
const SOCKADDR_IN6_LEN = 28;
/** sun_path is 108 bytes; the kernel logs at most sizeof(struct sockaddr_un). */
const SUN_PATH_MAX = 108;
/** __AUDIT_ARCH_LE (include/uapi/linux/audit.h): set in the arch= value of little-endian ABIs. */
const AUDIT_ARCH_LE = 0x40000000;

/**
 * True when `arch` (the SYSCALL's `arch=` hex) is a big-endian ABI (ppc64, s390x). The family
 * and netlink fields are in host byte order, ports and IP addresses in network order: laurel's
 * record-bind-ipv4-bigendian.txt (ppc64, saddr=0002D903...) is AF_INET port 55555.
 */
export function bigEndianArch(arch: string | undefined): boolean {
  if (arch === undefined || !/^[0-9a-fA-F]{1,8}$/.test(arch)) return false;
  return (parseInt(arch, 16) & AUDIT_ARCH_LE) === 0;
}

/** Decodes `saddr` hex; undefined when it is not hex or shorter than a family. */
export function decodeSockaddr(hex: string, bigEndian = false): SocketAddress | undefined {
  const b = hexToBytes(hex);
  if (b === undefined || b.length < 2) return undefined;
  const u16 = (at: number) => (bigEndian ? b.readUInt16BE(at) : b.readUInt16LE(at));
  const u32 = (at: number) => (bigEndian ? b.readUInt32BE(at) : b.readUInt32LE(at));
  const family = u16(0);
  const other = (name: string, afName: string | undefined, short?: true): SocketAddress => ({
    family: name, ...(afName !== undefined ? { afName } : {}), familyNumber: family, hex: b.subarray(2).toString('hex'), ...(short ? { short } : {}),
  });
  switch (family) {
    case 1: {
      const path = b.subarray(2, 2 + SUN_PATH_MAX);
      if (path.length === 0) return { family: 'local', afName: 'AF_UNIX', familyNumber: 1, unnamed: true };
      // An abstract name (sun_path[0] == 0) is every byte up to the address length, NULs
      // included; a path name ends at its NUL (what follows is stack garbage: record-nscd.txt).
      if (path[0] === 0) return { family: 'local', afName: 'AF_UNIX', familyNumber: 1, path: path.subarray(1).toString('utf8'), abstract: true };
      const end = path.indexOf(0);
      return { family: 'local', afName: 'AF_UNIX', familyNumber: 1, path: path.subarray(0, end < 0 ? path.length : end).toString('utf8'), abstract: false };
    }
    case 2:
      if (b.length < SOCKADDR_IN_LEN) return other('inet', 'AF_INET', true);
      return { family: 'inet', afName: 'AF_INET', familyNumber: 2, ip: `${b[4]}.${b[5]}.${b[6]}.${b[7]}`, port: b.readUInt16BE(2) };
    case 10: {
      if (b.length < SOCKADDR_IN6_LEN) return other('inet6', 'AF_INET6', true);
      const scopeId = u32(24);
      return { family: 'inet6', afName: 'AF_INET6', familyNumber: 10, ip: ipv6Text(b.subarray(8, 24)), port: b.readUInt16BE(2), ...(scopeId !== 0 ? { scopeId } : {}) };
    }
    case 16:
      // struct sockaddr_nl: family, pad, nl_pid, nl_groups. auparse's "nlnk-fam" is nl_family (always 16).
      if (b.length < 12) return other('netlink', 'AF_NETLINK', true);
      return { family: 'netlink', afName: 'AF_NETLINK', familyNumber: 16, netlinkPid: u32(4), netlinkGroups: u32(8) };
    default: {
      const known = OTHER_FAMILIES.get(family);
      return other(known?.[0] ?? `family-${family}`, known?.[1]);
    }
  }
}

/**
 * An IPv6 address as getnameinfo(NI_NUMERICHOST) writes it (glibc inet_ntop: RFC 5952
 * lower-case, the longest run of two or more zero groups as `::`, the first one on a tie),
 * including glibc's dotted tail for ::ffff:a.b.c.d and ::a.b.c.d, so it equals SADDR's laddr=.
 */
export function ipv6Text(a: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((a[i]! << 8) | a[i + 1]!);
  let best = { base: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > best.len) best = { base: i, len: j - i };
    i = j;
  }
  if (best.len < 2) best = { base: -1, len: 0 };
  const dotted = `${a[12]}.${a[13]}.${a[14]}.${a[15]}`;
  if (best.base === 0 && (best.len === 6 || (best.len === 5 && words[5] === 0xffff))) {
    return best.len === 6 ? `::${dotted}` : `::ffff:${dotted}`;
  }
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === best.base) { out += '::'; i += best.len - 1; continue; }
    if (out !== '' && !out.endsWith(':')) out += ':';
    out += words[i]!.toString(16);
  }
  return out;
}

/** One line for a person: `inet 127.0.0.1:37285`, `inet6 [::1]:22`, `local /dev/log`, `local @name`, `netlink pid 0`. */
export function socketAddressText(s: SocketAddress): string {
  if ('ip' in s) return s.family === 'inet6' ? `inet6 [${s.ip}${s.scopeId !== undefined ? `%${s.scopeId}` : ''}]:${s.port}` : `inet ${s.ip}:${s.port}`;
  if ('unnamed' in s) return 'local (unnamed)';
  if ('path' in s) return `local ${s.abstract ? '@' : ''}${s.path}`;
  if ('netlinkPid' in s) return `netlink pid ${s.netlinkPid}${s.netlinkGroups !== 0 ? ` groups 0x${s.netlinkGroups.toString(16)}` : ''}`;
  const what = s.afName !== undefined ? `${s.family} (${s.afName}, ${s.familyNumber})` : `family ${s.familyNumber}`;
  return `${what}${s.short ? ', too short for its address,' : ''} bytes ${s.hex === '' ? '(none)' : s.hex}`;
}
