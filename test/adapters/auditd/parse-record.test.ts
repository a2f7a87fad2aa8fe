import { describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../../adapters/auditd/audit-record.js';
import { checkFields, isRecordError, parseRecord } from '../../../adapters/auditd/parse-record.js';
import { traceLines } from './trace-helpers.js';

function firstLine(relative: string, pattern: RegExp): string {
  const line = traceLines(relative).find((l) => pattern.test(l));
  if (line === undefined) throw new Error(`no line matching ${pattern} in ${relative}`);
  return line;
}

function parsed(line: string, want = true): AuditRecord {
  const result = parseRecord(line, () => want);
  if (isRecordError(result)) throw new Error(result.detail);
  return result;
}

describe('parseRecord', () => {
  it('reads header, node= prefix and ENRICHED fields after the 0x1d separator', () => {
    const record = parsed(firstLine('laurel/record-execve.txt', /type=SYSCALL/));
    expect(record).toMatchObject({ node: 'work', type: 'SYSCALL', sec: 1615114232, ms: 375, serial: 15558, id: '1615114232.375:15558' });
    expect(record.fields).toMatchObject({ pid: '10884', comm: '"whoami"', key: '(null)', UID: '"root"', ARCH: 'x86_64', SYSCALL: 'execve' });
  });

  it('keeps the first of repeated keys (record-ptrace.txt prints uid twice)', () => {
    const line = firstLine('laurel/record-ptrace.txt', /type=SYSCALL/);
    expect(line.match(/ uid=/g)).toHaveLength(2);
    expect(parsed(line).fields!.uid).toBe('0');
  });

  it('accepts a header without the colon after msg=audit(...)', () => {
    const line = firstLine('go-libaudit/audit-rhel7.log', /DAEMON_CONFIG/);
    expect(line).toMatch(/\) [a-z]/);
    expect(parsed(line).type).toBe('DAEMON_CONFIG');
  });

  it('skips field splitting for unwanted types but still reads the serial', () => {
    const record = parsed(firstLine('laurel/shell-proc-trace.txt', /^type=PATH/), false);
    expect(record.fields).toBeUndefined();
    expect(record.serial).toBeGreaterThan(0);
  });

  it('keeps SADDR={ ... } and msg=\'...\' values whole', () => {
    const record = parsed(firstLine('laurel/record-nscd.txt', /type=SOCKADDR/));
    expect(record.fields!.SADDR).toMatch(/^\{ .* \}$/);
    const pam = parsed(firstLine('laurel/line-user-acct.txt', /USER_ACCT/));
    expect(pam.fields!.msg).toMatch(/^'op=PAM:accounting .* res=success'$/);
  });

  it('returns typed errors for damaged lines instead of throwing', () => {
    const unknown = parseRecord(firstLine('go-libaudit/audit-rhel7.log', /UNKNOWN\[1329\]/));
    expect(unknown).toMatchObject({ error: 'unknown-record-type' });
    const syscall = firstLine('laurel/shell-proc-trace.txt', /type=SYSCALL/);
    expect(checkFields(parsed(syscall.slice(0, syscall.indexOf('comm="') + 8)))).toMatchObject({ error: 'truncated-record' });
    expect(checkFields(parsed(syscall))).toBeUndefined();
    expect(parseRecord(syscall.slice(0, 30))).toMatchObject({ error: 'missing-timestamp' });
    expect(parseRecord('\u00ff\u00fe garbage')).toMatchObject({ error: 'malformed-line' });
    expect(parseRecord('type=SYSCALL')).toMatchObject({ error: 'truncated-record' });
    // A second count of hundreds of digits is Infinity as a number: refused, not thrown later.
    const hugeSecond = syscall.replace(/audit\(\d+/, `audit(${'9'.repeat(400)}`);
    expect(parseRecord(hugeSecond)).toMatchObject({ error: 'missing-timestamp' });
  });

  it('parses every record line of the corpus traces that has a msg=audit header', () => {
    for (const relative of ['laurel/shell-proc-trace-confusion.txt', 'audit-userspace/test4.log', 'go-libaudit/test2.log']) {
      for (const line of traceLines(relative)) {
        if (!/^(node=\S+ )?type=[A-Z_]+ msg=audit\(\d+\.\d+:\d+\)/.test(line)) continue;
        const result = parseRecord(line);
        expect(isRecordError(result), line.slice(0, 80)).toBe(false);
      }
    }
  });
});
