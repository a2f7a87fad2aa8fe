import { execFileSync } from 'node:child_process';

/**
 * Whether auditd's own tools (ausearch, ausyscall) run here: the tests that compare with them
 * skip without them, except under CI, which installs auditd (.ci/run) and must run them.
 */
export const hasAuditTools = ((): boolean => {
  try {
    execFileSync('ausearch', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Skip the comparison with auditd's tools: only where they are missing and not under CI. */
export const skipWithoutAuditTools = !hasAuditTools && !process.env.CI;
