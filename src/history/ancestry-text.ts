import { formatTimeNs } from '../time/format-time.js';
import type { AncestryResult } from './ancestry-at.js';
import { FROM_BOOT, initStartFromBoot } from './history-span.js';
import { table, userText } from './query-cli-args.js';

/**
 * An ancestry as `proc-tree ancestry --at` prints it: a table, self first (`~` before a
 * start = seen since), then the notes, under UNCERTAIN when the answer is uncertain.
 */
export function ancestryText(result: AncestryResult): string {
  const rows = [['PID', 'PPID', 'USER', ' START', 'CMD']];
  const fromBoot = (l: AncestryResult['chain'][number]): boolean => initStartFromBoot(l.pid, l.startKnown);
  for (const l of result.chain) {
    // A space where `~` would be keeps the times aligned.
    const start = fromBoot(l) ? ` ${FROM_BOOT}` : l.startNs === undefined ? ' ?' : `${l.startKnown ? ' ' : '~'}${formatTimeNs(l.startNs)}`;
    rows.push([String(l.pid), l.ppid === undefined ? '?' : String(l.ppid), userText(l.user, l.uid), start, l.cmd || l.exe || '?']);
  }
  let text = table(rows) + '\n';
  if (result.chain.some((l) => !l.startKnown && !fromBoot(l))) text += '~ = seen since (the process existed before its first record)\n';
  const notes = ancestryNotes(result);
  if (result.uncertain) text += `UNCERTAIN:\n${notes.map((n) => `  - ${n}`).join('\n')}\n`;
  else if (notes.length > 0) text += `${notes.map((n) => `note: ${n}`).join('\n')}\n`;
  return text;
}

/** The chain's notes, then each link's named by its pid ("seen since" is said by `~` / start_known instead). */
export function ancestryNotes(result: AncestryResult): string[] {
  return [...result.notes, ...result.chain.flatMap((l) => l.notes.filter((n) => !n.startsWith('started before')).map((n) => (n.startsWith(`pid ${l.pid} `) ? n : `pid ${l.pid}: ${n}`)))];
}
