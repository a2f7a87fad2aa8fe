import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { detectCompression, sniffFormat } from '../../src/sources/sniff-format.js';
import { CORPUS, corpusTraces, REPO_ROOT } from '../adapters/auditd/trace-helpers.js';

describe('sniffFormat', () => {
  it.each(corpusTraces())('recognises %s as auditd text (after # comments and blank lines)', (relative) => {
    expect(sniffFormat(readFileSync(resolve(CORPUS, relative)).subarray(0, 4096))).toBe('auditd');
  });

  it('rejects text that is not an audit log', () => {
    expect(sniffFormat(readFileSync(resolve(CORPUS, 'go-libaudit/LICENSE.txt')).subarray(0, 4096))).toBeUndefined();
  });

  it('recognises a proc-connector datagram by its nlmsghdr (length, NLMSG_DONE)', () => {
    // struct nlmsghdr {u32 len; u16 type; u16 flags; u32 seq; u32 pid} + cn_msg + proc_event (kernel uapi layout).
    const datagram = Buffer.alloc(76);
    datagram.writeUInt32LE(76, 0);
    datagram.writeUInt16LE(3, 4);
    expect(sniffFormat(datagram)).toBe('proc-connector');
    datagram.writeUInt16LE(2, 4); // NLMSG_ERROR: not a connector event
    expect(sniffFormat(datagram)).toBeUndefined();
  });

  it('still recognises an audit log whose first line is damaged', () => {
    const trace = readFileSync(resolve(CORPUS, 'go-libaudit/normal.log'));
    expect(sniffFormat(Buffer.concat([Buffer.from('\u0000\u00ffgarbage\n'), trace]))).toBe('auditd');
  });

  it('recognises the real proc-connector capture in samples/', () => {
    const capture = resolve(REPO_ROOT, 'samples', 'proc-connector', 'double-fork-daemon.cap');
    expect(sniffFormat(readFileSync(capture).subarray(0, 4096))).toBe('proc-connector');
  });

  it('treats an empty input as an (empty) audit log', () => {
    expect(sniffFormat(Buffer.alloc(0))).toBe('auditd');
  });
});

describe('detectCompression', () => {
  it('detects gzip and zip by magic bytes', () => {
    expect(detectCompression(gzipSync(Buffer.from('type=x')))).toBe('gzip');
    expect(detectCompression(Buffer.from('PK\u0003\u0004rest'))).toBe('zip');
    expect(detectCompression(Buffer.from('type=SYSCALL'))).toBe('none');
  });
});
