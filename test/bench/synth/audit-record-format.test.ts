import { describe, expect, test } from 'vitest';
import { ARCHES } from '../../../bench/synth/arch-table.js';
import { AuditRecordFormat, untrusted } from '../../../bench/synth/audit-record-format.js';
import type { SyscallFields } from '../../../bench/synth/audit-record-format.js';

const STAMP = '1764000000.123:42';

function fields(overrides: Partial<SyscallFields> = {}): SyscallFields {
  return {
    arch: ARCHES.x86_64, nr: 56, result: { success: true, exit: 4242 }, a0: '1200011', a1: '0', a2: '0', a3: '0', items: 0,
    ppid: 1, pid: 4000, auid: 1000, uid: 1000, gid: 1000, ses: 3, tty: 'pts0', comm: 'bash', exe: '/usr/bin/bash', key: 'proc',
    ...overrides,
  };
}

/** Joins the aN / aN[k] values of EXECVE records back into argv, as a consumer must. */
function decodeArgv(records: string[]): string[] {
  const args: string[] = [];
  for (const rec of records) {
    const body = rec.slice(rec.indexOf('): ') + 3);
    for (const m of body.matchAll(/ a(\d+)(?:\[(\d+)\])?=("[^"]*"|[0-9A-F]+)/g)) {
      const i = Number(m[1]);
      const raw = m[3] as string;
      const text = raw.startsWith('"') ? raw.slice(1, -1) : Buffer.from(raw, 'hex').toString('utf8');
      args[i] = m[2] === undefined || m[2] === '0' ? text : (args[i] ?? '') + text;
    }
  }
  return args;
}

describe('AuditRecordFormat', () => {
  test('ENRICHED syscall records carry the GS separator and user names, RAW ones do not', () => {
    const enriched = new AuditRecordFormat('enriched', undefined).syscall(STAMP, fields());
    const raw = new AuditRecordFormat('raw', undefined).syscall(STAMP, fields());
    expect(enriched).toContain('\x1dARCH=x86_64 SYSCALL=clone AUID="alice"');
    expect(raw).not.toContain('\x1d');
    expect(enriched.startsWith(raw)).toBe(true);
  });

  test('exit_group records have no success or exit field, like the kernel writes them', () => {
    const line = new AuditRecordFormat('raw', undefined).syscall(STAMP, fields({ nr: 231, result: undefined }));
    expect(line).toMatch(/syscall=231 a0=/);
    expect(line).not.toContain('success=');
  });

  test('node= prefixes every record when a node name is given', () => {
    const fmt = new AuditRecordFormat('raw', 'web-1');
    expect(fmt.cwd(STAMP, '/tmp')).toBe('node=web-1 type=CWD msg=audit(1764000000.123:42): cwd="/tmp"');
  });

  test('values with spaces, quotes or control bytes are hex-encoded', () => {
    expect(untrusted('plain')).toBe('"plain"');
    expect(untrusted('two words')).toBe('74776F20776F726473');
    expect(untrusted('say "hi"')).toBe(Buffer.from('say "hi"').toString('hex').toUpperCase());
  });

  test('a huge argument is split into aN_len and hex chunks across records of at most ~7.5 kB that decode back', () => {
    const argv = ['true', 'x'.repeat(20000) + ' end', 'last'];
    const records = new AuditRecordFormat('raw', undefined).execve(STAMP, argv);
    expect(records.length).toBeGreaterThan(5);
    for (const r of records) expect(r.length).toBeLessThan(7600);
    expect(records[0]).toContain(`a1_len=${(20004 * 2).toString()}`);
    expect(records[1]).toMatch(/\): {2}a1\[1\]=/);
    expect(decodeArgv(records)).toEqual(argv);
  });

  test('many short arguments spill into continuation records without losing any', () => {
    const argv = ['ls', ...Array.from({ length: 3000 }, (_, i) => `file-${i}.o`)];
    const records = new AuditRecordFormat('raw', undefined).execve(STAMP, argv);
    expect(records.length).toBeGreaterThan(1);
    expect(records[0]).toContain('argc=3001 a0="ls"');
    expect(decodeArgv(records)).toEqual(argv);
  });

  test('PROCTITLE is NUL-joined argv, hex, cut to 128 bytes', () => {
    const fmt = new AuditRecordFormat('raw', undefined);
    expect(fmt.proctitle(STAMP, ['bash'])).toMatch(/proctitle="bash"$/);
    const long = fmt.proctitle(STAMP, ['python3', 'y'.repeat(300)]);
    const hex = long.slice(long.indexOf('proctitle=') + 10);
    expect(hex.length).toBe(256);
    expect(Buffer.from(hex, 'hex').toString('latin1').startsWith('python3\0yyy')).toBe(true);
  });
});
