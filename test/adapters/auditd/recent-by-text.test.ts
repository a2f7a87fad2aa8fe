import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RecentByText } from '../../../adapters/auditd/recent-by-text.js';
import { auditdCapturesDir } from '../../support/truth.js';

describe('RecentByText', () => {
  it('answers only equal texts, among the last `capacity` stored, as a Map of them would', () => {
    // Real tokens, many of one length: comm= and exe= values of a busy capture, in log order.
    const text = readFileSync(join(auditdCapturesDir, 'busy-machine-rotation', 'logs', 'audit.log'), 'latin1');
    const tokens = [...text.matchAll(/ (?:comm|exe|cwd)=("[^"]*"|\S+)/g)].map((m) => m[1]!);
    expect(tokens.length).toBeGreaterThan(1000);
    const capacity = 16;
    const memo = new RecentByText<number>(capacity);
    const order: string[] = []; // distinct keys, oldest first, as the reference keeps them
    const values = new Map<string, number>();
    let hits = 0;
    tokens.forEach((token, i) => {
      const want = values.get(token);
      expect(memo.get(token)?.value, token).toBe(want);
      if (want !== undefined) {
        hits++;
        if (i % 7 === 0) {
          memo.set(token, i); // a new value for a stored key replaces it in place
          values.set(token, i);
        }
        return;
      }
      memo.set(token, i);
      values.set(token, i);
      order.push(token);
      if (order.length > capacity) values.delete(order.shift()!);
    });
    expect(hits).toBeGreaterThan(tokens.length / 2);
  });
});
