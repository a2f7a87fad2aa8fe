import { formatTimeNs } from '../time/format-time.js';
import type { TreeNode } from './tree-at.js';
import { printableText } from '../cli/printable-text.js';

/**
 * pstree-style text: `cmd(pid)` with box-drawing branches, children by pid or start.
 * `times`: each process's lifetime after it, `[start ~T1, ended T2]` (`~`: seen since;
 * `gone by`: the end was inferred, no exit record), for answers about a window.
 */
export function renderTreeText(roots: TreeNode[], options: { times?: boolean } = {}): string {
  const out: string[] = [];
  const walk = (node: TreeNode, prefix: string, last: boolean, top: boolean): void => {
    const cmd = printableText(node.execs !== undefined ? execsText(node.execs) : node.cmd || '?');
    const times = options.times === true ? `  ${lifetimeText(node)}` : '';
    const label = `${cmd}(${node.pid})${node.startKnown ? '' : ' ~'}${node.notes !== undefined ? ' ?' : ''}${times}`;
    out.push(top ? label : `${prefix}${last ? '└─' : '├─'}${label}`);
    const childPrefix = top ? '' : prefix + (last ? '  ' : '│ ');
    node.children.forEach((c, i) => walk(c, childPrefix, i === node.children.length - 1, false));
  };
  for (const root of roots) walk(root, '', true, true);
  return out.join('\n');
}

/**
 * What the markers of `renderTreeText` mean, and the doubts behind each `?` (as ancestry
 * prints them: `UNCERTAIN:` then one line per reason). Empty when there is nothing to say.
 */
export function renderTreeNotes(roots: TreeNode[], treeNotes: string[] = []): string {
  const doubts = [...treeNotes];
  let seenSince = false;
  const walk = (node: TreeNode): void => {
    if (!node.startKnown) seenSince = true;
    for (const n of node.notes ?? []) doubts.push(new RegExp(`\\bpid ${node.pid}\\b`).test(n) ? n : `pid ${node.pid}: ${n}`);
    node.children.forEach(walk);
  };
  roots.forEach(walk);
  const out: string[] = [];
  if (seenSince) out.push('~ = seen since (the process existed before its first record)');
  if (doubts.length > 0) out.push('? = uncertain: where it was, or whether it was still alive, at that time (reasons below)', 'UNCERTAIN:', ...doubts.map((d) => `  - ${d}`));
  return out.length === 0 ? '' : out.join('\n') + '\n';
}

/** init (pid 1) whose start no record shows: it runs from boot. */
const initFromBoot = (node: TreeNode): boolean => node.pid === 1 && !node.startKnown;

function lifetimeText(node: TreeNode): string {
  // init runs from boot: its first record is no start, and may come after the asked time.
  const start = initFromBoot(node) ? `from boot, first recorded ${formatTimeNs(node.startNs)}` : `start ${node.startKnown ? '' : '~'}${formatTimeNs(node.startNs)}`;
  if (node.endNs === undefined) return `[${start}]`;
  return `[${start}, ${node.endInferred === true ? 'gone by' : 'ended'} ${formatTimeNs(node.endNs)}]`;
}

/** A process that exec'd in a window: first → last, the middle counted (JSON has them all). */
function execsText(execs: string[]): string {
  if (execs.length <= 3) return execs.join(' → ');
  return `${execs[0]} → (${execs.length - 2} more) → ${execs[execs.length - 1]}`;
}

/** Longest dot label (pid and command), in characters, before it is cut with `…`. */
const DOT_LABEL_MAX = 80;

/** Graphviz: one node per process instance, edges parent -> child. */
export function renderTreeDot(roots: TreeNode[]): string {
  const lines = ['digraph proc_tree {', '  node [shape=box, fontname="monospace"];'];
  const walk = (node: TreeNode): void => {
    const full = `${node.pid} ${node.cmd}`;
    // A cut path or argument must not read as the whole one: mark the cut.
    const label = (full.length > DOT_LABEL_MAX ? `${full.slice(0, DOT_LABEL_MAX - 1)}…` : full) + (node.notes !== undefined ? ' ?' : '');
    // Dashed: the node's parent at that time is uncertain (its notes are in the JSON form).
    lines.push(`  p${node.instanceId} [label=${JSON.stringify(label)}${node.notes !== undefined ? ', style=dashed' : ''}];`);
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
  // init without a recorded start: "from boot" as the text says it (lifetimeText), its first
  // record kept apart (that record is no start, and may come after the asked time).
  const fromBoot = initFromBoot(node);
  return {
    pid: node.pid,
    ppid: node.ppid ?? null,
    cmd: node.cmd,
    exe: node.exe ?? null,
    user: node.user ?? null,
    uid: node.uid ?? null,
    start: fromBoot ? null : formatTimeNs(node.startNs),
    startNs: fromBoot ? null : node.startNs.toString(),
    startKnown: node.startKnown,
    ...(fromBoot ? { fromBoot: true, firstRecorded: formatTimeNs(node.startNs), firstRecordedNs: node.startNs.toString() } : {}),
    end: node.endNs === undefined ? null : formatTimeNs(node.endNs),
    endNs: node.endNs?.toString() ?? null,
    ...(node.execs !== undefined ? { execs: node.execs } : {}),
    ...(node.notes !== undefined ? { notes: node.notes } : {}),
    children: node.children.map(treeNodeJson),
  };
}
