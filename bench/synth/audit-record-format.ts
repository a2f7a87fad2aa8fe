import type { ArchInfo } from './arch-table.js';
import { syscallName } from './arch-table.js';

/**
 * Formats audit records the way auditd writes them to disk, modelled on lines recorded on
 * this machine (kernel 6.18, auditd 3.0.9, see bench/record-real-audit-log.sh) and on the
 * public corpus. Pure string building: no state beyond the format choice.
 *
 * ENRICHED appends a 0x1d (GS) byte and the interpreted fields (ARCH=, SYSCALL=, UID="root"
 * ...) to the records that carry ids; RAW writes what the kernel sent.
 */
export type LogFormat = 'enriched' | 'raw';

const GS = '\x1d';
/** Kernel MAX_EXECVE_AUDIT_LEN: one EXECVE record carries at most about this many bytes. */
const MAX_EXECVE_RECORD = 7500;
/** Kernel MAX_PROCTITLE_AUDIT_LEN: PROCTITLE is cut to 128 bytes of the cmdline. */
const MAX_PROCTITLE = 128;
const UNSET_ID = 4294967295;

export interface SyscallFields {
  arch: ArchInfo;
  nr: number;
  /** Absent for exit/exit_group: they never return, so the kernel logs no result. */
  result?: { success: boolean; exit: number };
  a0: string;
  a1: string;
  a2: string;
  a3: string;
  items: number;
  ppid: number;
  pid: number;
  auid: number;
  uid: number;
  gid: number;
  ses: number;
  tty: string;
  comm: string;
  exe: string;
  subj?: string;
  key: string | null;
}

/** Users the ENRICHED translation knows (what /etc/passwd would say on the recording host). */
const USER_NAMES = new Map<number, string>([
  [0, 'root'],
  [33, 'www-data'],
  [108, 'sshd'],
  [999, 'postgres'],
  [1000, 'alice'],
  [1001, 'bob'],
  [1002, 'carol'],
]);

function userName(id: number): string {
  if (id === UNSET_ID) return 'unset';
  return USER_NAMES.get(id) ?? `unknown(${id})`;
}

/** The kernel hex-encodes a value holding '"', a space, a control byte or a non-ASCII byte. */
export function needsHex(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x22 || c < 0x21 || c > 0x7e) return true;
  }
  return false;
}

export function toHex(value: string): string {
  return Buffer.from(value, 'utf8').toString('hex').toUpperCase();
}

/** `"value"` or HEX, as audit_log_untrustedstring writes it. */
export function untrusted(value: string): string {
  return needsHex(value) ? toHex(value) : `"${value}"`;
}

export class AuditRecordFormat {
  private readonly prefix: string;
  readonly enriched: boolean;

  constructor(format: LogFormat, node: string | undefined) {
    this.enriched = format === 'enriched';
    this.prefix = node === undefined ? '' : `node=${node} `;
  }

  private head(type: string, stamp: string): string {
    return `${this.prefix}type=${type} msg=audit(${stamp}): `;
  }

  syscall(stamp: string, f: SyscallFields): string {
    const result = f.result === undefined ? '' : ` success=${f.result.success ? 'yes' : 'no'} exit=${f.result.exit}`;
    const subj = f.subj === undefined ? '' : ` subj=${f.subj}`;
    const key = f.key === null ? '(null)' : `"${f.key}"`;
    const ids = `auid=${f.auid} uid=${f.uid} gid=${f.gid} euid=${f.uid} suid=${f.uid} fsuid=${f.uid} egid=${f.gid} sgid=${f.gid} fsgid=${f.gid}`;
    let line =
      this.head('SYSCALL', stamp) +
      `arch=${f.arch.auditArch} syscall=${f.nr}${result} a0=${f.a0} a1=${f.a1} a2=${f.a2} a3=${f.a3} items=${f.items} ` +
      `ppid=${f.ppid} pid=${f.pid} ${ids} tty=${f.tty} ses=${f.ses} comm=${untrusted(f.comm)} exe=${untrusted(f.exe)}${subj} key=${key}`;
    if (this.enriched) {
      const u = `"${userName(f.uid)}"`;
      const g = `"${userName(f.gid)}"`;
      line +=
        `${GS}ARCH=${f.arch.name} SYSCALL=${syscallName(f.arch, f.nr)} AUID="${userName(f.auid)}" UID=${u} GID=${g} ` +
        `EUID=${u} SUID=${u} FSUID=${u} EGID=${g} SGID=${g} FSGID=${g}`;
    }
    return line;
  }

  /**
   * EXECVE record(s) for argv. Like the kernel, a record holds about 7,500 bytes; an argument
   * too long for one record is hex-encoded and split into `aN_len=` + `aN[k]=` chunks, and
   * continuation records start with a space after the `): ` (seen in real captures).
   */
  execve(stamp: string, argv: readonly string[]): string[] {
    const records: string[] = [];
    const head = this.head('EXECVE', stamp);
    let body = `argc=${argv.length}`;
    const flush = (): void => {
      records.push(head + body);
      body = '';
    };
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i] ?? '';
      const value = untrusted(arg);
      if (value.length + 16 <= MAX_EXECVE_RECORD) {
        if (body.length + value.length + 8 > MAX_EXECVE_RECORD) flush();
        body += ` a${i}=${value}`;
        continue;
      }
      const hex = toHex(arg);
      body += ` a${i}_len=${hex.length}`;
      let offset = 0;
      for (let k = 0; offset < hex.length; k++) {
        const name = ` a${i}[${k}]=`;
        let room = MAX_EXECVE_RECORD - body.length - name.length;
        if (room < 64) {
          flush();
          room = MAX_EXECVE_RECORD - name.length;
        }
        const take = Math.min(room - (room % 2), hex.length - offset);
        body += name + hex.slice(offset, offset + take);
        offset += take;
      }
    }
    if (body.length > 0) flush();
    return records;
  }

  cwd(stamp: string, cwd: string): string {
    return this.head('CWD', stamp) + `cwd=${untrusted(cwd)}`;
  }

  path(stamp: string, item: number, name: string, inode: number, mode: string, ouid: number, nametype: string): string {
    let line =
      this.head('PATH', stamp) +
      `item=${item} name=${untrusted(name)} inode=${inode} dev=fe:00 mode=${mode} ouid=${ouid} ogid=${ouid} rdev=00:00 ` +
      `nametype=${nametype} cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0`;
    if (this.enriched) line += `${GS}OUID="${userName(ouid)}" OGID="${userName(ouid)}"`;
    return line;
  }

  /** A PATH item the failed lookup of an exec left (ENOENT): no inode, no translation. */
  pathMissing(stamp: string, item: number, name: string): string {
    return this.head('PATH', stamp) + `item=${item} name=${untrusted(name)} nametype=UNKNOWN cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0`;
  }

  proctitle(stamp: string, argv: readonly string[]): string {
    let title = argv.join('\0');
    if (Buffer.byteLength(title) > MAX_PROCTITLE) title = Buffer.from(title).subarray(0, MAX_PROCTITLE).toString('latin1');
    return this.head('PROCTITLE', stamp) + `proctitle=${untrusted(title)}`;
  }

  /** Written for root execs: file capabilities of the new image (observed on this machine). */
  bprmFcaps(stamp: string): string {
    return (
      this.head('BPRM_FCAPS', stamp) +
      'fver=0 fp=0 fi=0 fe=0 old_pp=000001fffeffffff old_pi=0 old_pe=000001fffeffffff old_pa=0 pp=000001fffeffffff pi=0 pe=000001fffeffffff pa=0 frootid=0'
    );
  }

  eoe(stamp: string): string {
    return this.head('EOE', stamp).trimEnd();
  }

  /** PAM records from sshd/sudo/cron: USER_ACCT, CRED_ACQ, USER_START, USER_END, CRED_DISP... */
  userMessage(stamp: string, type: string, pid: number, uid: number, auid: number, ses: number, op: string, acct: string, exe: string, terminal: string): string {
    let line =
      this.head(type, stamp) +
      `pid=${pid} uid=${uid} auid=${auid} ses=${ses} subj=unconfined msg='op=${op} acct="${acct}" exe="${exe}" hostname=? addr=? terminal=${terminal} res=success'`;
    if (this.enriched) line += `${GS}UID="${userName(uid)}" AUID="${userName(auid)}"`;
    return line;
  }

  login(stamp: string, pid: number, auid: number, ses: number): string {
    let line = this.head('LOGIN', stamp) + `pid=${pid} uid=0 subj=unconfined old-auid=${UNSET_ID} auid=${auid} tty=(none) old-ses=${UNSET_ID} ses=${ses} res=1`;
    if (this.enriched) line += `${GS}UID="root" OLD-AUID="unset" AUID="${userName(auid)}"`;
    return line;
  }

  serviceMessage(stamp: string, type: 'SERVICE_START' | 'SERVICE_STOP', unit: string): string {
    let line =
      this.head(type, stamp) +
      `pid=1 uid=0 auid=${UNSET_ID} ses=${UNSET_ID} subj=? msg='unit=${unit} comm="systemd" exe="/usr/lib/systemd/systemd" hostname=? addr=? terminal=? res=success'`;
    if (this.enriched) line += `${GS}UID="root" AUID="unset"`;
    return line;
  }

  sockaddrNetlink(stamp: string): string {
    let line = this.head('SOCKADDR', stamp) + 'saddr=100000000000000000000000';
    if (this.enriched) line += `${GS}SADDR={ saddr_fam=netlink nlnk-fam=16 nlnk-pid=0 }`;
    return line;
  }

  avcApparmor(stamp: string, pid: number, comm: string, profile: string): string {
    return (
      this.head('AVC', stamp) +
      `apparmor="DENIED" operation="open" class="file" profile="${profile}" name="/proc/${pid}/status" pid=${pid} comm="${comm}" requested_mask="r" denied_mask="r" fsuid=0 ouid=0`
    );
  }
}
