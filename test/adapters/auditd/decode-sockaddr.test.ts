/**
 * decodeSockaddr on the SOCKADDR records of the real captures (samples/auditd/*): the
 * address read from a big-endian ABI's byte order is the same address, and IPv6 text is the
 * canonical form (WHATWG URL's serializer, which follows RFC 5952 like glibc) of the same bytes.
 * The cross-check against the ENRICHED SADDR text and `ausearch -i` is test/cli/explain-socket.test.ts.
 */
import { isIPv6 } from 'node:net';
import { describe, expect, it } from 'vitest';
import { bigEndianArch, decodeSockaddr, ipv6Text } from '../../../adapters/auditd/decode-sockaddr.js';
import { scanAuditLogs } from '../../support/audit-records.js';
import { listAuditdCaptures } from '../../support/truth.js';

const saddrs = listAuditdCaptures().flatMap((c) =>
  scanAuditLogs(c.logFiles).records.filter((r) => r.type === 'SOCKADDR').map((r) => r.fields.get('saddr')!.replace(/^"|"$/g, '')),
);

describe('decodeSockaddr', () => {
  it('reads every SOCKADDR of the captures, of every family they hold', () => {
    const decoded = saddrs.map((h) => decodeSockaddr(h));
    expect(decoded.every((d) => d !== undefined)).toBe(true);
    const families = new Set(decoded.map((d) => d!.family));
    expect([...families].sort()).toEqual(['inet', 'inet6', 'local', 'netlink', 'unspec']);
  });

  it('reads the family (and netlink pids) in the byte order of a big-endian arch, ports and IPs in network order', () => {
    expect(bigEndianArch('c000003e')).toBe(false);
    expect(bigEndianArch('80000015')).toBe(true); // ppc64
    expect(bigEndianArch('80000016')).toBe(true); // s390x
    for (const hex of saddrs) {
      const le = Buffer.from(hex, 'hex');
      const b = Buffer.from(le);
      const family = le.readUInt16LE(0);
      b.writeUInt16BE(family, 0);
      // Host-order fields after the family: sockaddr_nl's nl_pid and nl_groups, sockaddr_in6's scope id.
      const hostOrder = family === 16 && le.length >= 12 ? [4, 8] : family === 10 && le.length >= 28 ? [24] : [];
      for (const at of hostOrder) b.writeUInt32BE(le.readUInt32LE(at), at);
      expect(decodeSockaddr(b.toString('hex'), true), hex).toEqual(decodeSockaddr(hex, false));
    }
  });

  it('AF_UNIX: a path ends at its NUL (garbage after it is dropped); an abstract name keeps every byte, shown with @', () => {
    const path = saddrs.find((h) => h.startsWith('0100') && Buffer.from(h, 'hex').indexOf(0, 2) > 0)!;
    const d = decodeSockaddr(path + 'DEADBEEF');
    expect(d).toMatchObject({ family: 'local', abstract: false });
    const name = (d as { path: string }).path;
    expect(path.toLowerCase()).toContain(Buffer.from(name).toString('hex'));
    const abstract = decodeSockaddr('010000' + Buffer.from(name).toString('hex'));
    expect(abstract).toMatchObject({ family: 'local', abstract: true, path: name });
    expect(decodeSockaddr('0100')).toMatchObject({ family: 'local', unnamed: true });
  });

  it('IPv6 text is canonical: URL parsing gives it back unchanged, and isIPv6 accepts it', () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let n = 0; n < 2000; n++) {
      const a = new Uint8Array(16);
      // Zero runs of random place and length, the case compression gets wrong.
      for (let i = 0; i < 16; i += 2) if (rnd() < 0.4) { a[i] = Math.floor(rnd() * 256); a[i + 1] = Math.floor(rnd() * 256); }
      const text = ipv6Text(a);
      expect(isIPv6(text), text).toBe(true);
      if (text.includes('.')) continue; // glibc's dotted tail for ::a.b.c.d and ::ffff:a.b.c.d; URL writes hex there
      expect(new URL(`http://[${text}]/`).hostname, text).toBe(`[${text}]`);
    }
    expect(ipv6Text(Buffer.from('00000000000000000000ffff7f000001', 'hex'))).toBe('::ffff:127.0.0.1');
  });

  it('a family it does not open keeps its number and bytes; a too-short inet says so', () => {
    expect(decodeSockaddr('2600' + 'ab'.repeat(6))).toEqual({ family: 'alg', afName: 'AF_ALG', familyNumber: 38, hex: 'ab'.repeat(6) });
    expect(decodeSockaddr('3F00ff')).toEqual({ family: 'family-63', familyNumber: 63, hex: 'ff' });
    expect(decodeSockaddr('02000050')).toMatchObject({ family: 'inet', short: true });
    expect(decodeSockaddr('zz')).toBeUndefined();
  });
});
