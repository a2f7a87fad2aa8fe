/**
 * A deliberately small, independent reader of audit.log lines for checking fixtures.
 *
 * It is not the project's auditd adapter (adapters/auditd/) and must not use it: the
 * fixture tests check the captures themselves, so a bug in the adapter cannot hide a bug
 * in a capture or the other way round.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

/** One audit.log line, split into what fixture checks need. */
export interface AuditLine {
  file: string;
  /** 1-based line number in its file. */
  line: number;
  node?: string;
  type: string;
  /** Record time: the audit(SEC.MSEC:SERIAL) stamp in ns since the epoch. */
  timeNs: bigint;
  serial: number;
  /** key=value pairs of the raw part (before ENRICHED's \x1d); quotes kept. */
  fields: Map<string, string>;
  /** True when the line has an ENRICHED part (\x1d separator). */
  enriched: boolean;
}

const LINE_RE = /^(?:node=(\S+) )?type=(\w+) msg=audit\((\d+)\.(\d{3}):(\d+)\): ?(.*)$/;
const FIELD_RE = /([\w-]+)=("[^"]*"|\S*)/g;

/** Parses one line; undefined when it is not a well-formed audit record. */
export function parseAuditLine(text: string, file = '', line = 0): AuditLine | undefined {
  const gs = text.indexOf('\x1d');
  const raw = gs >= 0 ? text.slice(0, gs) : text;
  const m = LINE_RE.exec(raw);
  if (!m) return undefined;
  const fields = new Map<string, string>();
  for (const f of m[6]!.matchAll(FIELD_RE)) fields.set(f[1]!, f[2]!);
  return {
    file,
    line,
    node: m[1],
    type: m[2]!,
    timeNs: BigInt(m[3]!) * 1_000_000_000n + BigInt(m[4]!) * 1_000_000n,
    serial: Number(m[5]),
    fields,
    enriched: gs >= 0,
  };
}

export interface ScannedLog {
  records: AuditLine[];
  /** Lines that did not parse, with their position. */
  bad: { file: string; line: number; text: string }[];
}

/** Reads log files in the order given (oldest first). Fixtures are small: whole-file reads. */
export function scanAuditLogs(files: string[]): ScannedLog {
  const records: AuditLine[] = [];
  const bad: ScannedLog['bad'] = [];
  for (const path of files) {
    const name = basename(path);
    const lines = readFileSync(path, 'latin1').split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    lines.forEach((text, i) => {
      const rec = parseAuditLine(text, name, i + 1);
      if (rec) records.push(rec);
      else bad.push({ file: name, line: i + 1, text: text.slice(0, 200) });
    });
  }
  return { records, bad };
}

/** Syscall names by audit arch and number, for the syscalls our capture rules audit. */
export const PROCESS_SYSCALLS: Record<string, Record<number, string>> = {
  c000003e: { 56: 'clone', 57: 'fork', 58: 'vfork', 59: 'execve', 60: 'exit', 62: 'kill', 200: 'tkill', 231: 'exit_group', 234: 'tgkill', 322: 'execveat', 435: 'clone3' },
  '40000003': { 1: 'exit', 2: 'fork', 11: 'execve', 37: 'kill', 120: 'clone', 190: 'vfork', 238: 'tkill', 252: 'exit_group', 270: 'tgkill', 358: 'execveat', 435: 'clone3' },
};

/**
 * Processes a successful kill/tkill/tgkill sent SIGKILL (their OBJ_PID records, one per
 * target), with the kill's time: they die then without an exit_group record.
 */
export function sigkillTargets(records: AuditLine[]): { pid: number; timeNs: bigint; serial: number; file: string; line: number }[] {
  const killers = new Set<string>();
  for (const s of processSyscalls(records)) {
    if (s.success !== true) continue;
    const signal = s.rec.fields.get(s.name === 'tgkill' ? 'a2' : 'a1');
    if ((s.name === 'kill' || s.name === 'tkill' || s.name === 'tgkill') && signal !== undefined && parseInt(signal, 16) === 9) killers.add(`${s.rec.node ?? ''}|${s.rec.serial}|${s.rec.timeNs}`);
  }
  return records
    .filter((r) => r.type === 'OBJ_PID' && killers.has(`${r.node ?? ''}|${r.serial}|${r.timeNs}`))
    .map((r) => ({ pid: Number(r.fields.get('opid')), timeNs: r.timeNs, serial: r.serial, file: r.file, line: r.line }));
}

/** A SYSCALL record of one of the audited process syscalls. */
export interface ProcessSyscall {
  rec: AuditLine;
  name: string;
  pid: number;
  ppid: number;
  auid: number;
  /** Return value (`exit=`), absent for exit/exit_group. */
  exit?: number;
  success?: boolean;
  comm?: string;
}

export function processSyscalls(records: AuditLine[]): ProcessSyscall[] {
  const out: ProcessSyscall[] = [];
  for (const rec of records) {
    if (rec.type !== 'SYSCALL') continue;
    const name = PROCESS_SYSCALLS[rec.fields.get('arch') ?? '']?.[Number(rec.fields.get('syscall'))];
    if (!name) continue;
    const exit = rec.fields.get('exit');
    const success = rec.fields.get('success');
    out.push({
      rec,
      name,
      pid: Number(rec.fields.get('pid')),
      ppid: Number(rec.fields.get('ppid')),
      auid: Number(rec.fields.get('auid')),
      exit: exit === undefined ? undefined : Number(exit),
      success: success === undefined ? undefined : success === 'yes',
      comm: rec.fields.get('comm')?.replace(/^"|"$/g, ''),
    });
  }
  return out;
}

export const FORK_SYSCALLS = new Set(['clone', 'clone3', 'fork', 'vfork']);
