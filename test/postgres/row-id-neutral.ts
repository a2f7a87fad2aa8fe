/** Probe times as the CLI takes them: seconds.nanoseconds. */
export const seconds = (ns: bigint): string => `${ns / 1_000_000_000n}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}`;

/**
 * Row ids differ between the backends (PostgreSQL allocates them in per-host ranges): in
 * JSON (`id`, `instanceId`, `parentId`, `creatorId`) and DOT node names they are numbered
 * by first appearance, which keeps which rows are the same.
 */
export function renumberIds(out: string): string {
  const ids = new Map<string, number>();
  const n = (id: string): number => ids.get(id) ?? ids.set(id, ids.size).get(id)!;
  if (out.startsWith('digraph')) return out.replace(/\bp(\d+)\b/g, (_, id: string) => `p${n(id)}`);
  return out.replace(/"(id|instanceId|parentId|creatorId)":(\d+)/g, (_, key: string, id: string) => `"${key}":${n(id)}`);
}
