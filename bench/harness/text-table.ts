/** A titled table of string cells; numbers are formatted by the caller. */
export interface TextTable {
  title: string;
  header: string[];
  rows: string[][];
  /** Lines printed under the table (ratios, notes, what was missing). */
  notes?: string[];
}

/** Renders with columns padded to width; the first column left-aligned, the rest right-aligned. */
export function renderTable(table: TextTable): string {
  const all = [table.header, ...table.rows];
  const widths = table.header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]): string =>
    r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const out = [`== ${table.title}`, line(table.header), rule, ...table.rows.map(line)];
  for (const n of table.notes ?? []) out.push(`   ${n}`);
  return out.join('\n') + '\n';
}
