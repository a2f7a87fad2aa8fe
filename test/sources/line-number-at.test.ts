/**
 * lineNumbersAt on a real capture: the line number at each line start is the one the line
 * splitter gives reading from the start of the file (what the evidence of a full read says).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLineSplitter } from '../../src/sources/line-splitter.js';
import { lineNumbersAt } from '../../src/sources/line-number-at.js';
import { auditdCapturesDir } from '../support/truth.js';

describe('lineNumbersAt', () => {
  it("gives every line start of a real capture the splitter's own line number", async () => {
    const file = join(auditdCapturesDir, 'net-files-login', 'logs', 'audit.log');
    const expected = new Map<number, number>();
    const splitter = createLineSplitter({ file, startLine: 1, onLine: (_t, offset, line) => expected.set(offset, line!), onSkip: () => undefined });
    splitter.push(readFileSync(file));
    splitter.end();
    expect(expected.size).toBeGreaterThan(1000);
    const offsets = [...expected.keys()].reverse(); // any order
    const got = await lineNumbersAt(file, offsets);
    expect(new Map([...got].sort((a, b) => a[0] - b[0]))).toEqual(new Map([...expected].sort((a, b) => a[0] - b[0])));
  });

  it('counts only up to the largest offset asked: the first line is 1, a repeated offset is answered once', async () => {
    const file = join(auditdCapturesDir, 'rotation', 'logs', 'audit.log');
    const text = readFileSync(file, 'latin1');
    const third = text.indexOf('\n', text.indexOf('\n') + 1) + 1;
    expect([...(await lineNumbersAt(file, [third, 0, third]))]).toEqual([[0, 1], [third, 3]]);
  });
});
