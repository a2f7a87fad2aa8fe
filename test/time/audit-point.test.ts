import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditPoint } from '../../src/time/audit-point.js';
import { auditdCapturesDir } from '../support/truth.js';

/** The rule as a regular expression (how auditPoint read ids before it was written by hand). */
function byRegex(rec: string): { ms: number; serial: number; rec: string } | undefined {
  const m = /^(\d+)\.(\d{3}):(\d+)$/.exec(rec);
  return m === null ? undefined : { ms: Number(m[1]) * 1000 + Number(m[2]), serial: Number(m[3]), rec };
}

describe('auditPoint', () => {
  it('reads every audit id of the captures as the regular expression does', () => {
    let checked = 0;
    for (const capture of readdirSync(auditdCapturesDir)) {
      const logs = join(auditdCapturesDir, capture, 'logs');
      let files: string[];
      try {
        files = readdirSync(logs);
      } catch {
        continue;
      }
      for (const f of files) {
        for (const m of readFileSync(join(logs, f), 'latin1').matchAll(/msg=audit\(([^)]*)\)/g)) {
          expect(auditPoint(m[1]!)).toEqual(byRegex(m[1]!));
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(1000);
  });

  it('refuses or reads odd ids as the regular expression does', () => {
    const odd = ['', '.', '1.000:', '1.00:1', '1.0000:1', '.123:4', '1.123:', '1.123:4 ', ' 1.123:4', '1.123:4\n', '1.123:-4', '1.123:4:5', '1,123:4',
      '0001.000:0001', '1.１２３:4', '99999999999999999999.999:4', '1796396320.968:237236', '12345678901234567.123:98765432109876543210', '1e3.000:1', '1.123:0x10'];
    for (const rec of odd) expect(auditPoint(rec), JSON.stringify(rec)).toEqual(byRegex(rec));
  });
});
