import { open } from 'node:fs/promises';
import { auditPoint, comparePoints, type AuditPoint } from '../time/audit-point.js';
import { readAt } from './read-head.js';

/**
 * Audit ids read at given places of a plain log file, without reading the file: what the
 * ingest checks before it resumes a file or reads one that may repeat records (ingest/
 * resume-continuity.ts, ingest/repeated-records.ts). A window this long holds many
 * records; a record longer than it (a 100 MB line) simply yields no id.
 */
export const ID_WINDOW_BYTES = 64 * 1024;

/**
 * A record's audit id; auditd's own DAEMON_* records are left out: they carry the daemon's
 * serial and time, not the kernel's (the rotation capture's audit.log.1 opens with
 * DAEMON_ROTATE audit(1795589437.118:5280) before SYSCALL audit(1795589437.116:28798)).
 */
const AUDIT_ID = /type=(?!DAEMON_)\w+ msg=audit\((\d+\.\d{3}:\d+)\)/g;

export interface FilePlaces {
  /** The byte before `at` (undefined at 0 or past the end). */
  byteBefore?: number;
  /** The line starting at `lineAt` (up to ID_WINDOW_BYTES, without its newline). */
  line?: string;
  /**
   * Lowest audit id among the records just after `from`, highest among the last ones of
   * the file (records are not always written in id order).
   */
  first?: string;
  last?: string;
}

/** Reads the places of `path` (size as planned) that the checks need. */
export async function readFilePlaces(path: string, size: number, at: { from: number; lineAt?: number }): Promise<FilePlaces> {
  const handle = await open(path, 'r');
  try {
    const out: FilePlaces = {};
    if (at.from > 0 && at.from <= size) out.byteBefore = (await readAt(handle, at.from - 1, 1))[0];
    if (at.lineAt !== undefined && at.lineAt < size) {
      const text = (await readAt(handle, at.lineAt, ID_WINDOW_BYTES)).toString('latin1');
      const nl = text.indexOf('\n');
      out.line = nl < 0 ? text : text.slice(0, nl);
    }
    const head = (await readAt(handle, at.from, ID_WINDOW_BYTES)).toString('latin1');
    const first = extremeId(head, -1);
    if (first !== undefined) out.first = first;
    const tailFrom = Math.max(at.from, size - ID_WINDOW_BYTES);
    const tail = tailFrom === at.from ? head : (await readAt(handle, tailFrom, size - tailFrom)).toString('latin1');
    const last = extremeId(tail, 1);
    if (last !== undefined) out.last = last;
    return out;
  } finally {
    await handle.close();
  }
}

/** The lowest (sign -1) or highest (1) audit id of the records in `text`, in record order (comparePoints). */
export function extremeId(text: string, sign: -1 | 1): string | undefined {
  let best: AuditPoint | undefined;
  for (const m of text.matchAll(AUDIT_ID)) {
    const p = auditPoint(m[1]!)!;
    if (best === undefined || sign * comparePoints(p, best) > 0) best = p;
  }
  return best?.rec;
}

/** The lowest audit id in a piece of a log (a stream's first bytes). */
export const firstAuditId = (text: string): string | undefined => extremeId(text, -1);
