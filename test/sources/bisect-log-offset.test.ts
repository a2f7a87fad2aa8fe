/**
 * bisectLogOffset on a real capture (net-files-login, 694 KB, 5.7 s of log): for moments
 * across the log, the offset is a line start, the lines from there were judged written
 * before the moment, and it is within a probe of the first line at or after the moment.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditLineTimeMs } from '../../src/enrich/audit-line-time.js';
import { bisectLogOffset, PROBE_BYTES, SAMPLE_LINES } from '../../src/sources/bisect-log-offset.js';
import { auditdCapturesDir } from '../support/truth.js';

const file = join(auditdCapturesDir, 'net-files-login', 'logs', 'audit.log');
const text = readFileSync(file, 'latin1');
const lines: { offset: number; ms: number | undefined }[] = [];
for (let offset = 0; offset < text.length; ) {
  const end = text.indexOf('\n', offset);
  lines.push({ offset, ms: auditLineTimeMs(text.slice(offset, end < 0 ? text.length : end)) });
  offset = end < 0 ? text.length : end + 1;
}
const median = (from: number): number => {
  const times = lines.filter((l) => l.offset >= from).slice(0, SAMPLE_LINES).map((l) => l.ms!).sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
};

describe('bisectLogOffset', () => {
  const first = lines[0]!.ms!;
  const last = lines.at(-1)!.ms!;
  for (const share of [0, 0.1, 0.5, 0.9, 1.2]) {
    it(`finds where the log was written at ${share * 100}% of its span`, async () => {
      const moment = first + Math.round((last - first) * share);
      const offset = await bisectLogOffset(file, (sample) => {
        const times = sample.map(auditLineTimeMs).filter((t): t is number => t !== undefined).sort((a, b) => a - b);
        return times[Math.floor(times.length / 2)]! < moment;
      });
      expect(offset === 0 || text[offset - 1] === '\n').toBe(true);
      if (offset > 0) expect(median(offset)).toBeLessThan(moment);
      const firstAtOrAfter = lines.find((l) => l.ms! >= moment)?.offset ?? text.length;
      expect(offset).toBeLessThanOrEqual(firstAtOrAfter + PROBE_BYTES);
      if (share > 0 && share < 1) expect(offset).toBeGreaterThan(firstAtOrAfter - 2 * PROBE_BYTES);
    });
  }
});
