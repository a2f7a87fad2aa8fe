import { fileSyscallOf, openFlagsText, OPEN_FLAGS_ARG, type FileSyscall } from '../../adapters/auditd/file-syscalls.js';
import type { RecordFields } from './record-fields.js';

/** What an event's PATH records say about the files a syscall touched. */
export interface EventFile {
  /** The file syscall, when known. */
  call?: FileSyscall;
  /** The objects named (PARENT items left out when another item names the object itself). */
  paths: { name: string; nametype?: string }[];
  /** open/openat flags, `O_WRONLY|O_CREAT|O_TRUNC`; creat(2) is O_WRONLY|O_CREAT|O_TRUNC by definition. */
  flags?: string;
}

/** The file part of an event, or undefined when it has no PATH record with a name. */
export function eventFile(records: readonly RecordFields[]): EventFile | undefined {
  const named = records.filter((r) => r.type === 'PATH' && r.fields.name !== undefined && r.fields.name !== '(null)');
  if (named.length === 0) return undefined;
  // The kernel logs the directory a name is looked up in as its own PARENT item (nametype=PARENT)
  // before the CREATE/DELETE/NORMAL item of the object: the object is what a reader wants.
  const objects = named.some((r) => r.fields.nametype !== 'PARENT') ? named.filter((r) => r.fields.nametype !== 'PARENT') : named;
  const out: EventFile = {
    paths: objects.map((r) => ({ name: r.fields.name!, ...(r.fields.nametype !== undefined ? { nametype: r.fields.nametype } : {}) })),
  };
  const syscall = records.find((r) => r.type === 'SYSCALL');
  if (syscall === undefined) return out;
  const nr = syscall.fields.syscall === undefined ? undefined : Number(syscall.fields.syscall);
  const call = fileSyscallOf(syscall.fields.arch, Number.isInteger(nr) ? nr : undefined, syscall.fields.SYSCALL);
  if (call === undefined) return out;
  out.call = call;
  const arg = OPEN_FLAGS_ARG[call];
  const flags = call === 'creat' ? 'O_WRONLY|O_CREAT|O_TRUNC' : arg === undefined ? undefined : openFlagsText(syscall.fields.arch, syscall.fields[arg]);
  if (flags !== undefined) out.flags = flags;
  return out;
}

const NAMETYPE_WORD: Readonly<Record<string, string>> = { CREATE: 'created', DELETE: 'deleted', PARENT: 'directory', UNKNOWN: 'not found' };

/** `openat /tmp/x/curl.html (created, O_WRONLY|O_CREAT|O_TRUNC)`; several objects joined by `, `. */
export function eventFileText(f: EventFile): string {
  const paths = f.paths.map((p, i) => {
    const notes = [NAMETYPE_WORD[p.nametype ?? ''], i === 0 ? f.flags : undefined].filter((x) => x !== undefined);
    return `${p.name}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`;
  });
  return `${f.call ?? 'path'} ${paths.join(', ')}`;
}
