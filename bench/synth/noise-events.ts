import type { AuditRecordFormat, SyscallFields } from './audit-record-format.js';
import type { SeededRandom } from './seeded-random.js';
import type { SimProcess } from './sim-process.js';

/** What a noise event needs from its host; kept narrow so this module stays stateless. */
export interface NoiseHost {
  rng: SeededRandom;
  fmt: AuditRecordFormat;
  stamp(): string;
  someone(): SimProcess;
  syscallFields(p: SimProcess, nr: number, result: SyscallFields['result'], a0: string, a1: string, items: number, key: string | null): SyscallFields;
  emit(lines: string[]): void;
}

const PAM_TYPES = ['USER_ACCT', 'CRED_ACQ', 'USER_START', 'USER_END', 'CRED_DISP', 'USER_AUTH', 'CRED_REFR'] as const;
const PAM_OPS: Record<(typeof PAM_TYPES)[number], string> = {
  USER_ACCT: 'PAM:accounting',
  CRED_ACQ: 'PAM:setcred',
  USER_START: 'PAM:session_open',
  USER_END: 'PAM:session_close',
  CRED_DISP: 'PAM:setcred',
  USER_AUTH: 'PAM:authentication',
  CRED_REFR: 'PAM:setcred',
};
const UNITS = ['apt-daily', 'logrotate', 'man-db', 'systemd-tmpfiles-clean', 'fstrim', 'user@1000'];

/**
 * Events that carry nothing about process lifecycle but fill real logs: PAM messages from
 * cron/sudo/sshd, systemd service messages, AppArmor denials, file-watch hits. A consumer
 * must skip them cheaply; some still name a live pid (evidence it is alive).
 */
export function emitNoise(h: NoiseHost): void {
  const r = h.rng.float();
  const p = h.someone();
  if (r < 0.45) {
    const type = h.rng.pick(PAM_TYPES);
    const exe = h.rng.pick(['/usr/sbin/cron', '/usr/bin/sudo', '/usr/sbin/sshd']);
    h.emit([h.fmt.userMessage(h.stamp(), type, p.pid, p.uid, p.auid, p.ses, PAM_OPS[type], h.rng.pick(['root', 'alice', 'bob']), exe, exe.endsWith('sshd') ? 'ssh' : 'cron')]);
  } else if (r < 0.55) {
    h.emit([h.fmt.serviceMessage(h.stamp(), h.rng.chance(0.5) ? 'SERVICE_START' : 'SERVICE_STOP', h.rng.pick(UNITS))]);
  } else if (r < 0.6) {
    const stamp = h.stamp();
    const sys = h.syscallFields(p, p.arch.syscalls.write, { success: true, exit: 1 }, '7', '7ffe' + h.rng.hex(8), 0, null);
    h.emit([h.fmt.login(stamp, p.pid, p.auid === 4294967295 ? 0 : p.auid, h.rng.range(1, 500)), h.fmt.syscall(stamp, sys), h.fmt.proctitle(stamp, p.argv)]);
  } else if (r < 0.7) {
    const stamp = h.stamp();
    const sys = h.syscallFields(p, p.arch.syscalls.openat, { success: false, exit: -13 }, 'ffffff9c', '7ffe' + h.rng.hex(8), 1, null);
    h.emit([
      h.fmt.avcApparmor(stamp, p.pid, p.comm, h.rng.pick(['snap.firefox.firefox', '/usr/sbin/cupsd', 'docker-default'])),
      h.fmt.syscall(stamp, sys),
      h.fmt.proctitle(stamp, p.argv),
    ]);
  } else if (r < 0.75) {
    const stamp = h.stamp();
    const sys = h.syscallFields(p, p.arch.syscalls.sendto, { success: true, exit: 60 }, '3', '7ffe' + h.rng.hex(8), 0, null);
    h.emit([h.fmt.syscall(stamp, sys), h.fmt.sockaddrNetlink(stamp), h.fmt.proctitle(stamp, p.argv)]);
  } else {
    // A file-watch rule (-w /etc -p wa -k etc-watch) hit: openat with two PATH items.
    const stamp = h.stamp();
    const file = h.rng.pick(['passwd', 'hosts', 'resolv.conf', 'ld.so.cache', 'shadow']);
    const sys = h.syscallFields(p, p.arch.syscalls.openat, { success: true, exit: 3 }, 'ffffff9c', '7ffe' + h.rng.hex(8), 2, 'etc-watch');
    h.emit([
      h.fmt.syscall(stamp, sys),
      h.fmt.cwd(stamp, p.cwd),
      h.fmt.path(stamp, 0, '/etc/', 1310721, '040755', 0, 'PARENT'),
      h.fmt.path(stamp, 1, `/etc/${file}`, h.rng.range(1310722, 1320000), '0100644', 0, 'NORMAL'),
      h.fmt.proctitle(stamp, p.argv),
    ]);
  }
}
