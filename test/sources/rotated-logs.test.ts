import { describe, expect, it } from 'vitest';
import { orderRotatedLogs } from '../../src/sources/rotated-logs.js';

describe('orderRotatedLogs', () => {
  it('orders auditd rotation oldest first: highest number first, the live audit.log last', () => {
    const { ordered, ignored } = orderRotatedLogs(['audit.log', 'audit.log.1', 'audit.log.10', 'audit.log.2.gz', 'audit.log.3', 'notes.txt']);
    expect(ordered).toEqual(['audit.log.10', 'audit.log.3', 'audit.log.2.gz', 'audit.log.1', 'audit.log']);
    expect(ignored).toEqual(['notes.txt']);
  });

  it('orders logrotate date suffixes by date, before the live file', () => {
    expect(orderRotatedLogs(['audit.log', 'audit.log-20240102.gz', 'audit.log-20231231']).ordered).toEqual(['audit.log-20231231', 'audit.log-20240102.gz', 'audit.log']);
  });
});
