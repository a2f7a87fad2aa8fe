import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { extremeId } from '../../src/sources/audit-ids-in-file.js';
import { auditPoint, comparePoints, repeats, type RecordRange } from '../../src/ingest/record-range.js';
import { REPO_ROOT } from '../cli/cli-runner.js';

// Spans of the rotation capture's three generations, read from the files themselves.
const LOGS = join(REPO_ROOT, 'samples', 'auditd', 'rotation', 'logs');
const text = (name: string): string => readFileSync(join(LOGS, name), 'latin1');
const span = (t: string): RecordRange => ({ first: auditPoint(extremeId(t, -1)!)!, last: auditPoint(extremeId(t, 1)!)! });
const generations = ['audit.log.2', 'audit.log.1', 'audit.log'].map((n) => span(text(n)));

describe('repeats', () => {
  it('consecutive generations of a rotated log do not repeat each other, in either order', () => {
    for (let i = 0; i + 1 < generations.length; i++) {
      expect(repeats(generations[i]!, generations[i + 1]!)).toBe(false);
      expect(repeats(generations[i + 1]!, generations[i]!)).toBe(false);
    }
  });

  it('a generation repeats itself, and the concatenation of all repeats each', () => {
    const all: RecordRange = { first: generations[0]!.first, last: generations[2]!.last };
    for (const g of generations) {
      expect(repeats(g, g)).toBe(true);
      expect(repeats(all, g)).toBe(true);
    }
  });

  it("an extract (every SYSCALL record) repeats its log, though it may end with the log's last event", () => {
    const log = text('audit.log.1');
    const extract = span(log.split('\n').filter((l) => l.startsWith('type=SYSCALL')).join('\n'));
    expect(repeats(extract, span(log))).toBe(true);
    expect(repeats(span(log), extract)).toBe(true);
  });

  it('orders ids by time, then serial as a number (:9 before :10 in one ms, where strings sort it after)', () => {
    const ms = generations[0]!.first.rec.split(':')[0]!;
    const nine = auditPoint(`${ms}:9`)!;
    const ten = auditPoint(`${ms}:10`)!;
    expect(nine.rec > ten.rec).toBe(true);
    expect(comparePoints(nine, ten)).toBeLessThan(0);
    expect(comparePoints(generations[0]!.last, generations[1]!.first)).toBeLessThanOrEqual(0);
  });
});
