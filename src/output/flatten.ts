/**
 * Nested objects -> one level, keys joined by `_` (`process.parent.pid` -> `process_parent_pid`).
 * Timesketch shows and filters flat attributes; dotted keys would be re-nested by
 * OpenSearch and a field named like a parent object would clash with it. Arrays stay arrays.
 */
export function flatten(value: Record<string, unknown>, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [key, v] of Object.entries(value)) {
    const name = (prefix === '' ? key : `${prefix}_${key}`).replace(/^@/, '');
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) flatten(v as Record<string, unknown>, name, out);
    else out[name] = v;
  }
  return out;
}
