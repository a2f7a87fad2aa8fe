import { childIndex, MAX_TREE_WALK } from './relatives.js';
import type { TreeStore } from './stores.js';

/** Label of one process in the display: `cmd(pid)`, like `pstree -p`. */
function label(tree: TreeStore, pid: number): string {
  const node = tree.getNode(pid);
  const cmd = node?.cmd || '?';
  return node?.exitTimeNs === undefined ? `${cmd}(${pid})` : `${cmd}(${pid}) [exited]`;
}

/**
 * pstree-style text of the subtree under rootPid, one process per line, children
 * ascending by pid:
 *
 *     systemd(1)
 *     ├─sshd(50)
 *     │ └─bash(100)
 *     └─cron(60)
 *
 * Cycle-safe (a pid is drawn once) and bounded by MAX_TREE_WALK lines. A root the tree
 * does not know still prints as `?(pid)` with whatever children point at it. No trailing
 * newline (crate parity).
 */
export function display(tree: TreeStore, rootPid: number, index: Map<number, number[]> = childIndex(tree)): string {
  const lines: string[] = [label(tree, rootPid)];
  const seen = new Set<number>([rootPid]);
  // Explicit stack instead of recursion: a deep (or corrupted) tree must not overflow the JS stack.
  const stack: { pid: number; prefix: string; last: boolean }[] = [];
  const push = (parent: number, prefix: string): void => {
    const kids = (index.get(parent) ?? []).filter((k) => !seen.has(k));
    for (const kid of kids) seen.add(kid);
    for (let i = kids.length - 1; i >= 0; i--) stack.push({ pid: kids[i]!, prefix, last: i === kids.length - 1 });
  };
  push(rootPid, '');
  while (stack.length > 0 && lines.length < MAX_TREE_WALK) {
    const { pid, prefix, last } = stack.pop()!;
    lines.push(`${prefix}${last ? '└─' : '├─'}${label(tree, pid)}`);
    push(pid, prefix + (last ? '  ' : '│ '));
  }
  return lines.join('\n');
}

/**
 * Pids that start a tree of their own, ascending: ppid 0, a self-parent, a parent the tree
 * does not hold, or a parent that started after it (pid reused, so the real parent is gone).
 */
export function rootPids(tree: TreeStore, index: Map<number, number[]> = childIndex(tree)): number[] {
  return tree
    .allPids()
    .filter((pid) => {
      const node = tree.getNode(pid);
      if (node === undefined) return false;
      if (node.ppid === pid || tree.getNode(node.ppid) === undefined) return true;
      return !(index.get(node.ppid) ?? []).includes(pid);
    })
    .sort((a, b) => a - b);
}
