import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { IngestWarning } from '../../src/events/event-sink.js';
import { createLineSplitter } from '../../src/sources/line-splitter.js';
import { CORPUS } from '../adapters/auditd/trace-helpers.js';

interface Line {
  text: string;
  offset: number;
  line: number | undefined;
}

function split(bytes: Buffer, chunkSize: number, options: { maxLineBytes?: number; startOffset?: number; startLine?: number } = {}) {
  const lines: Line[] = [];
  const skipped: IngestWarning[] = [];
  const splitter = createLineSplitter({
    file: 'f',
    ...options,
    onLine: (text, offset, line) => lines.push({ text, offset, line }),
    onSkip: (w) => skipped.push(w),
  });
  for (let i = 0; i < bytes.length; i += chunkSize) splitter.push(bytes.subarray(i, i + chunkSize));
  splitter.end();
  return { lines, skipped, consumed: splitter.consumedOffset };
}

const trace = readFileSync(resolve(CORPUS, 'laurel/shell-proc-trace.txt'));

describe('createLineSplitter', () => {
  it('gives each line its exact byte offset and number, whatever the chunk size', () => {
    const reference = split(trace, trace.length, { startLine: 1 }).lines;
    expect(reference.length).toBe(trace.toString('latin1').split('\n').length - 1);
    for (const { text, offset } of reference) expect(trace.subarray(offset, offset + text.length).toString('latin1')).toBe(text);
    for (const size of [1, 7, 100, 4096]) expect(split(trace, size, { startLine: 1 }).lines).toEqual(reference);
    expect(reference[2]!.line).toBe(3);
  });

  it('keeps offsets exact across garbage and multi-byte bytes (where UTF-8 decoding would drift)', () => {
    const damaged = Buffer.concat([Buffer.from([0xff, 0xfe, 0xc3, 0x0a]), Buffer.from('é\n', 'utf8'), trace]);
    const { lines } = split(damaged, 3);
    expect(lines[0]!.text.length).toBe(3);
    expect(lines[1]!.offset).toBe(4);
    expect(lines[2]!.offset).toBe(4 + Buffer.byteLength('é\n'));
    for (const { text, offset } of lines) expect(damaged.subarray(offset, offset + text.length).toString('latin1')).toBe(text);
  });

  it('emits a last line that has no final newline (audit-rhel7.log)', () => {
    const rhel7 = readFileSync(resolve(CORPUS, 'go-libaudit/audit-rhel7.log'));
    expect(rhel7[rhel7.length - 1]).not.toBe(0x0a);
    const { lines, consumed } = split(rhel7, 1000);
    expect(lines.at(-1)!.text.length).toBeGreaterThan(0);
    expect(consumed).toBe(rhel7.length);
  });

  it('drops an over-long line as it streams, reports its offset and size, and carries on', () => {
    const big = Buffer.alloc(3 * 1024 * 1024, 0x78);
    const input = Buffer.concat([trace.subarray(0, 100), Buffer.from('\n'), big, Buffer.from('\n'), trace]);
    const { lines, skipped } = split(input, 64 * 1024, { maxLineBytes: 1024 * 1024, startLine: 1 });
    const before = split(input.subarray(0, 101), 101).lines.length;
    expect(skipped).toEqual([{ reason: 'oversized-line', detail: expect.stringContaining(`${big.length} bytes`), position: { file: 'f', offset: 101, line: before + 1 } }]);
    expect(lines[before]).toMatchObject({ offset: 101 + big.length + 1, line: before + 2 });
    expect(lines.length).toBe(before + split(trace, trace.length).lines.length);
  });

  it('starts counting at a resume offset', () => {
    const { lines } = split(trace.subarray(500), 1000, { startOffset: 500 });
    const full = split(trace, trace.length).lines;
    const firstWhole = full.find((l) => l.offset > 500)!;
    expect(lines.find((l) => l.offset === firstWhole.offset)?.text).toBe(firstWhole.text);
    expect(lines[0]!.line).toBeUndefined();
  });
});
