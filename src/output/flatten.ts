/**
 * Nested objects -> one level, keys joined by `_` (`process.parent.pid` -> `process_parent_pid`).
 * Timesketch shows and filters flat attributes; dotted keys would be re-nested by
 * OpenSearch and a field named like a parent object would clash with it. Arrays stay arrays.
 * A leading `@` is dropped (`@timestamp` -> `timestamp`). Names in `skip` are left out.
 * Written into `out` (a later name overwrites an earlier one in place, as a spread would).
 */
export function flatten(value: Record<string, unknown>, prefix = '', out: Record<string, unknown> = {}, skip?: ReadonlySet<string>): Record<string, unknown> {
  for (const key of Object.keys(value)) {
    const v = value[key];
    const name = joinedName(prefix, key);
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) flatten(v as Record<string, unknown>, name, out, skip);
    else if (skip === undefined || !skip.has(name)) out[name] = v;
  }
  return out;
}

/**
 * `prefix_key` without its leading `@`, remembered: building and interning a new name
 * string for each of the ~40 fields of every record (and a regex per key) was a fifth of a
 * Timesketch export (20k-instance history, 60.7k records); the names are a small fixed set.
 */
function joinedName(prefix: string, key: string): string {
  let byKey = names.get(prefix);
  if (byKey === undefined) {
    if (remembered >= MAX_NAMES) return nameOf(prefix, key);
    names.set(prefix, (byKey = new Map()));
  }
  let name = byKey.get(key);
  if (name === undefined) {
    name = nameOf(prefix, key);
    if (remembered < MAX_NAMES) {
      byKey.set(key, name);
      remembered++;
    }
  }
  return name;
}

function nameOf(prefix: string, key: string): string {
  const name = prefix === '' ? key : `${prefix}_${key}`;
  return name.charCodeAt(0) === AT ? name.slice(1) : name;
}

const AT = 0x40; // '@'
/** Names remembered at most (documents with open-ended keys still flatten, uncached beyond it). */
const MAX_NAMES = 4096;
const names = new Map<string, Map<string, string>>();
let remembered = 0;
