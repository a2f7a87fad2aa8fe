import { formatTimeNs } from '../time/format-time.js';
import type { TreeNode } from './tree-at.js';

/** pstree-style text: `cmd(pid)` with box-drawing branches, children by pid or start. */
export function renderTreeText(roots: TreeNode[]): string {
  const out: string[] = [];
  const walk = (node: TreeNode, prefix: string, last: boolean, top: boolean): void => {
    const cmd = node.execs !== undefined ? execsText(node.execs) : node.cmd || '?';
    const label = `${cmd}(${node.pid})${node.startKnown ? '' : ' ~'}`;
    out.push(top ? label : `${prefix}${last ? '└─' : '├─'}${label}`);
    const childPrefix = top ? '' : prefix + (last ? '  ' : '│ ');
    node.children.forEach((c, i) => walk(c, childPrefix, i === node.children.length - 1, false));
  };
  for (const root of roots) walk(root, '', true, true);
  return out.join('\n');
}

/** A process that exec'd in a window: first → last, the middle counted (JSON has them all). */
function execsText(execs: string[]): string {
  if (execs.length <= 3) return execs.join(' → ');
  return `${execs[0]} → (${execs.length - 2} more) → ${execs[execs.length - 1]}`;
}

/** Graphviz: one node per process instance, edges parent -> child. */
export function renderTreeDot(roots: TreeNode[]): string {
  const lines = ['digraph proc_tree {', '  node [shape=box, fontname="monospace"];'];
  const walk = (node: TreeNode): void => {
    const label = `${node.pid} ${node.cmd}`.slice(0, 80);
    lines.push(`  p${node.instanceId} [label=${JSON.stringify(label)}];`);
    for (const c of node.children) {
      lines.push(`  p${node.instanceId} -> p${c.instanceId};`);
      walk(c);
    }
  };
  roots.forEach(walk);
  lines.push('}');
  return lines.join('\n');
}

/** JSON form of a tree node (times as ISO strings plus exact ns twins). */
export function treeNodeJson(node: TreeNode): Record<string, unknown> {
  return {
    pid: node.pid,
    ppid: node.ppid ?? null,
    cmd: node.cmd,
    exe: node.exe ?? null,
    user: node.user ?? null,
    uid: node.uid ?? null,
    start: formatTimeNs(node.startNs),
    startNs: node.startNs.toString(),
    startKnown: node.startKnown,
    end: node.endNs === undefined ? null : formatTimeNs(node.endNs),
    endNs: node.endNs?.toString() ?? null,
    ...(node.execs !== undefined ? { execs: node.execs } : {}),
    children: node.children.map(treeNodeJson),
  };
}
