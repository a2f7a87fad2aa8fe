import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './user-error.js';

/**
 * node:util parseArgs (strict by default) with its errors turned into a one-line UsageError
 * (exit 2, never a stack trace) that names the culprit in our words: node's own texts
 * ("Unknown option '--dbb'. To specify a positional argument ... as in '-- "--dbb"", with an
 * unbalanced quote; "Option '--at' argument is ambiguous") say neither what was meant nor
 * what the option takes.
 *
 * `alsoAccepted`: long options the command takes out of the arguments before parsing (such as
 * `--wait`, see wait-option.ts), offered as suggestions too.
 */
export function parseCommandArgs<T extends ParseArgsConfig>(config: T, usage: string, alsoAccepted: readonly string[] = []): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    const message = explainParseError(config, usage, alsoAccepted);
    if (message !== undefined) throw new UsageError(message);
    throw new UsageError(`${error instanceof Error ? error.message : String(error)}\n${usage}`);
  }
}

interface OptionToken {
  kind: 'option';
  name: string;
  rawName: string;
  index: number;
  value?: string;
  inlineValue?: boolean;
}

/** Re-reads the arguments leniently (tokens, no throw) to find the first one strict parsing refused. */
function explainParseError(config: ParseArgsConfig, usage: string, alsoAccepted: readonly string[]): string | undefined {
  const args = config.args ?? [];
  const options = config.options ?? {};
  const help = `see ${commandName(usage)} --help`;
  let tokens;
  try {
    ({ tokens } = parseArgs({ ...config, strict: false, allowPositionals: true, tokens: true }));
  } catch {
    return undefined;
  }
  for (const token of tokens) {
    if (token.kind === 'positional') {
      if (config.allowPositionals === true) continue;
      return `unexpected argument '${token.value}' (this command takes options only); ${help}`;
    }
    if (token.kind !== 'option') continue;
    const t = token as OptionToken;
    const spec = options[t.name];
    if (spec === undefined) {
      const raw = args[t.index] ?? t.rawName;
      // `-db` is read as the short options -d -b: name what was typed, not -d.
      const typed = raw.startsWith('-') ? raw.split('=')[0]! : t.rawName;
      const known = [...Object.keys(options), ...alsoAccepted];
      const guess = closestOption(typed, known);
      return `unknown option ${typed}${guess !== undefined ? ` (did you mean --${guess}?)` : ''}; ${help}`;
    }
    // As typed (-o, not --output), so the user recognises it.
    const long = t.rawName;
    if (spec.type === 'string') {
      const wants = valueName(usage, long, `--${t.name}`);
      const example = EXAMPLES[wants]?.(long) ?? '';
      if (t.value === undefined) return `${long} needs ${article(wants)}${example !== '' ? `: ${example}` : `; ${help}`}`;
      if (t.inlineValue !== true && t.value.startsWith('-') && t.value !== '-') {
        const what = t.value.startsWith('--') || /^-[A-Za-z]/.test(t.value) ? `the option ${t.value}` : `'${t.value}'`;
        const hint = /^-\d/.test(t.value) ? ` (a value starting with - goes as ${long}=${t.value})` : '';
        return `${long} needs ${article(wants)} (got ${what})${hint}${example !== '' ? `: ${example}` : `; ${help}`}`;
      }
    } else if (t.value !== undefined) {
      return `${long} takes no value (got ${t.rawName}=${t.value}); ${help}`;
    }
  }
  return undefined;
}

/** Examples shown when an option's value is missing, by the placeholder its usage gives. */
const EXAMPLES: Record<string, (option: string) => string> = {
  TIME: (o) => `e.g. ${o} 1795589308.123 or ${o} 'audit(T:SERIAL)'`,
  // --from T1 --to T2: the same kind of TIME.
  T1: (o) => `e.g. ${o} 1795589308.123 or ${o} 2026-11-25T14:03:22Z`,
  T2: (o) => `e.g. ${o} 1795589308.123 or ${o} 2026-11-25T14:03:22Z`,
};

function article(wants: string): string {
  if (wants === 'T1' || wants === 'T2') return 'a TIME';
  if (wants.includes('|')) return `one of ${wants}`;
  return /^[AEIOU]/.test(wants) ? `an ${wants}` : `a ${wants}`;
}

/** `proc-tree ingest` from `usage: proc-tree ingest [--db FILE] ...`. */
function commandName(usage: string): string {
  return /^usage:\s+(\S+\s+[a-z][\w-]*)/.exec(usage)?.[1] ?? 'proc-tree COMMAND';
}

/** What the usage text writes after the option (`--at TIME` -> TIME), else VALUE. */
function valueName(usage: string, ...spellings: string[]): string {
  for (const spelling of spellings) {
    const escaped = spelling.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
    const found = new RegExp(`(?<![\\w-])${escaped}[ =]([^\\s\\]\\)\\[-][^\\s\\]\\)]*)`).exec(usage)?.[1];
    if (found !== undefined) return found;
  }
  return 'VALUE';
}

/** The known long option nearest to what was typed: a unique prefix, else within a few edits. */
export function closestOption(typed: string, known: readonly string[]): string | undefined {
  const name = typed.replace(/^-+/, '').toLowerCase();
  if (name === '') return undefined;
  const prefixed = known.filter((k) => k.startsWith(name));
  if (prefixed.length === 1) return prefixed[0];
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const k of known) {
    const d = editDistance(name, k);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  // One edit for short names (db, at), about a third of the letters for long ones.
  return bestDistance <= Math.max(1, Math.floor(name.length / 3)) ? best : undefined;
}

/** Levenshtein distance, a transposition counting as one edit (`--hsot`). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}
