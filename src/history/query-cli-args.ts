import type { ParseArgsConfig } from 'node:util';
import { parseCommandArgs } from '../cli/parse-command-args.js';
import { UsageError, UserError } from '../cli/user-error.js';
import { auditEventSerial, parseTimeNs } from '../time/parse-time.js';
import type { HistoryStore } from './history-store.js';
import { openHistoryStore } from './open-history-store.js';
import { printableText } from '../cli/printable-text.js';

/** Options every history query command shares. */
export const COMMON_QUERY_OPTIONS = {
  // No default here: without --db, PROC_TREE_DB or the PG* variables may name the history (openHistoryStore).
  db: { type: 'string' },
  host: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const satisfies ParseArgsConfig['options'];

/** Linux never hands out pids above 2^22 (PID_MAX_LIMIT). */
const PID_MAX_LIMIT = 4_194_304;

export interface ParsedQueryArgs {
  values: Record<string, string | boolean | undefined> & { db?: string; host?: string; json?: boolean };
  positionals: string[];
}

export function parseQueryArgs(args: string[], options: NonNullable<ParseArgsConfig['options']>, usage: string): ParsedQueryArgs {
  const parsed = parseCommandArgs({ args, options: { ...COMMON_QUERY_OPTIONS, ...options }, allowPositionals: true }, usage);
  return parsed as unknown as ParsedQueryArgs;
}

export function parsePid(text: string | undefined, usage: string): number {
  if (text === undefined) throw new UsageError(`missing PID\n${usage}`);
  if (!/^\d+$/.test(text) || Number(text) <= 0) throw new UsageError(`PID must be a positive integer, got '${text}'`);
  const pid = Number(text);
  if (pid > PID_MAX_LIMIT) throw new UserError(`no process with pid ${text} (Linux pids never exceed ${PID_MAX_LIMIT})`);
  return pid;
}

/** A TIME argument: its time, and the audit serial when it was given as an event id. */
export interface AtArg {
  atNs: bigint;
  /** `audit(1697091526.357:2638035)` -> 2638035: orders the records of that millisecond. */
  atSerial?: number;
}

export function parseAtArg(text: string): AtArg {
  const atNs = parseTimeNs(text);
  const atSerial = auditEventSerial(text);
  return atSerial === undefined ? { atNs } : { atNs, atSerial };
}

export function optionalTime(text: string | undefined): bigint | undefined {
  return text === undefined ? undefined : parseTimeNs(text);
}

/** The history a query command reads: --db, else PROC_TREE_DB, else PG*, else ./proc-tree.db. */
export function openStore(db: string | undefined): Promise<HistoryStore> {
  return openHistoryStore(db);
}

/** JSON.stringify with bigints as decimal strings. */
export function toJsonLine(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) + '\n';
}

/**
 * A USER column cell: the name, else `uid:N` (a bare `0` would read like a name or a pid;
 * names cannot contain `:`), else `?`. JSON keeps `user` and the numeric `uid` apart.
 */
export function userText(user: string | undefined, uid: number | undefined): string {
  return user ?? (uid === undefined ? '?' : `uid:${uid}`);
}

/** Left-aligned columns, the last one unpadded. */
export function table(cells: string[][]): string {
  // Cells hold log text: escaped before measuring, so widths match what is printed.
  const printable = cells.map((r) => r.map(printableText));
  const widths = printable[0]!.map((_, col) => Math.max(...printable.map((r) => (r[col] ?? '').length)));
  return printable.map((r) => r.map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col]!))).join('  ')).join('\n');
}
