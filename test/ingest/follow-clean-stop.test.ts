/**
 * A follow that stops cleanly (--duration, Ctrl-C) stores the resume point where it stopped
 * reading, not RESUME_CONTEXT_LINES before it: a plain ingest of the same log afterwards
 * re-reads only the window of events the reassembler still held open (records of them may
still come), adds nothing and reports no damaged record. Measured before
 * the fix on an 84 MB real log: the re-run resumed at byte 81,416,440 of 83,890,836 (8,192
 * lines back), skipped 2,294 stored events and reported an event-without-syscall (the event
 * the margin cut in two). Also: a damaged record found by the follow is cited at the
 * followed path, not at the internal source name ("audit.log\0" + generation: shown as
 * "audit.log 0:1").
 * Real capture: samples/auditd/busy-machine-rotation/logs/audit.log (632 KB, 2,854 lines).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { IngestSummary } from '../../src/ingest/ingest-summary.js';
import { createAuditdAdapter } from '../../adapters/auditd/index.js';
import { REPO_ROOT } from '../cli/cli-runner.js';
import { canonicalDump } from './canonical-dump.js';

const MAIN = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
const LOG = join(REPO_ROOT, 'samples', 'auditd', 'busy-machine-rotation', 'logs', 'audit.log');
const dir = mkdtempSync(join(tmpdir(), 'proc-tree-follow-stop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function ingest(args: string[]): IngestSummary {
  const run = spawnSync(process.execPath, [MAIN, 'ingest', '--json', ...args], { encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as IngestSummary;
}

/**
 * Where the auditd adapter's open window starts once it has read the whole log (its oldest
 * event not complete yet), or the log's size when nothing is open: what a stop must keep.
 */
function openWindowStart(log: string): number {
  const text = readFileSync(log);
  const adapter = createAuditdAdapter({ onEvent: () => undefined, onWarning: () => undefined });
  let offset = 0;
  let line = 0;
  while (offset < text.length) {
    const end = text.indexOf(10, offset);
    if (end < 0) break;
    adapter.pushLine(text.toString('latin1', offset, end), { file: log, offset, line: ++line });
    offset = end + 1;
  }
  return adapter.oldestPendingPosition()?.offset ?? text.length;
}

function committedOffset(db: string, path: string): number {
  const reader = new Database(db, { readonly: true });
  try {
    return (reader.prepare('SELECT committed_offset AS o FROM sources WHERE path = ?').get(path) as { o: number }).o;
  } finally {
    reader.close();
  }
}

const size = (path: string): number => statSync(path).size;

describe('ingest --follow - a clean stop', () => {
  it('stores the start of the open event window as the resume point: a plain ingest afterwards re-reads only that, adds nothing, reports no damage', () => {
    const log = join(dir, 'audit.log');
    copyFileSync(LOG, log);
    const db = join(dir, 'follow.db');
    const followed = ingest(['--follow', '--duration', '3', '--db', db, log]);
    expect(followed.bytes).toBe(size(log));
    // The follow flushed the events still open after a second of quiet; it resumes at the
    // first of them, a window a restart re-reads to join records that may still come.
    const window = openWindowStart(log);
    expect(window).toBeGreaterThan(0);
    expect(committedOffset(db, log)).toBe(window);

    const again = ingest(['--db', db, log]);
    expect(again.events).toEqual({});
    expect(again.skipped).toEqual({});
    expect(again.bytes).toBe(size(log) - window);
    expect(again.alreadyStored).toBeGreaterThan(0); // the window's events, recognised as stored

    const plain = join(dir, 'plain.db');
    ingest(['--db', plain, log]);
    expect(canonicalDump(db)).toEqual(canonicalDump(plain));
  }, 30_000);

  it('cites a damaged record at the followed path, and the re-run does not report it again', () => {
    // A rotated-away log often starts inside an event: cut the real log after an exec's
    // SYSCALL record (syscall=59), so its first lines are the rest of that exec (no SYSCALL).
    const lines = readFileSync(LOG, 'latin1').split(/(?<=\n)/);
    const idOf = (l: string): string | undefined => /audit\(([\d.]+:\d+)\)/.exec(l)?.[1];
    const cut = lines.findIndex((l, i) => i > 0 && / type=SYSCALL .* syscall=59 /.test(lines[i - 1]!) && idOf(l) === idOf(lines[i - 1]!));
    expect(cut).toBeGreaterThan(0);
    const log = join(dir, 'cut', 'audit.log');
    rmSync(join(dir, 'cut'), { recursive: true, force: true });
    mkdirSync(join(dir, 'cut'));
    writeFileSync(log, lines.slice(cut).join(''), 'latin1');
    const db = join(dir, 'cut.db');

    const followed = ingest(['--follow', '--duration', '3', '--db', db, log]);
    expect(followed.skipped).toEqual({ 'event-without-syscall': 1 });
    expect(followed.skippedAt['event-without-syscall']!.map((p) => p.file)).toEqual([log]);

    const again = ingest(['--db', db, log]);
    expect(again.skipped).toEqual({});
    expect(again.events).toEqual({});
    expect(committedOffset(db, log)).toBe(size(log));
  }, 30_000);
});
