import { ancestryAtInSnapshot, type AncestryLink, type AncestryResult } from './ancestry-at.js';
import { aliveLinksAtEvent } from './alive-at-event.js';
import type { ChainRow, HistoryReader, HistoryStore } from './history-store.js';
import type { ImageRow, InstanceRow, ParentKind, ParentRow, StoredEvidence } from './history-types.js';
import { commandOf } from './image-at.js';
import { treeAtInSnapshot, type TreeNode } from './tree-at.js';

/**
 * What `proc-tree report` shows, gathered from the history in one read (one snapshot).
 * The HTML renderer (src/report/) sees only this: plain data, no store, no SQL.
 */
export interface ReportData {
  host: string;
  atNs: bigint;
  /** Audit serial when the time was an event id (orders one millisecond). */
  atSerial?: number;
  pid: number;
  /** The chain at the time, self first, each link with its recorded facts. */
  chain: ReportChainLink[];
  chainComplete: boolean;
  uncertain: boolean;
  outsideHistory?: 'before' | 'after';
  /** Doubts about the whole chain (lost events, a time outside the history). */
  notes: string[];
  /** What was alive at the time under the chain's oldest recorded ancestor below init. */
  tree: ReportTree;
  /**
   * The host's last record: a process with no end is not "running" but unseen since the log
   * stopped (it may have exited after that, unrecorded). Undefined: the history holds no record.
   */
  historyEndNs?: bigint;
}

/** A fact about one process, with the record it came from. */
export interface ReportFact {
  atNs: bigint;
  /** `fork`, `exec`, `seen`, `creds`, `comm`, `parent`, `reparent`, `orphaned`, `exit`, `end`. */
  kind: string;
  /** One readable line: `parent 1 (reparent)`, `exec sleep 1 exe=/usr/bin/sleep uid=0`. */
  text: string;
  evidence?: StoredEvidence;
}

export interface ReportChainLink extends AncestryLink {
  /** How the parent at the time became known (`fork`, `reparent`, `seen`, ...). */
  parentKind?: ParentKind;
  exitCode?: number;
  exitSignal?: number;
  /** The end was concluded (pid reused, children reparented), not read from an exit record. */
  endInferred?: boolean;
  endReason?: string;
  /** Every recorded fact of this process instance (its whole life), in time order. */
  facts: ReportFact[];
}

/** A tree node as `treeAt` gives it, with what the page shows beside it. */
export interface ReportTreeNode extends Omit<TreeNode, 'children'> {
  exitCode?: number;
  /** Why an inferred end was concluded (`sigkill`, `pid-reused`, ...). */
  endReason?: string;
  exitSignal?: number;
  /** How its parent at the time became known; `reparent`/`orphaned`: it was reparented by then. */
  parentKind?: ParentKind;
  /** On the asked chain (self or an ancestor). */
  onChain?: boolean;
  startEvidence?: StoredEvidence;
  endEvidence?: StoredEvidence;
  children: ReportTreeNode[];
}

export interface ReportTree {
  roots: ReportTreeNode[];
  count: number;
  notes: string[];
}

export interface ReportQuery {
  host?: string;
  pid: number;
  atNs: bigint;
  atSerial?: number;
  /**
   * The chain already worked out (`report --event` takes enrich's chain for the event, so
   * the page shows exactly what `explain` and `enrich` give); its host is the report's.
   */
  ancestry?: AncestryResult;
}

const INIT_PID = 1;

/**
 * The report's data for `pid` at `atNs`: ancestry, the tree at that time under the oldest
 * recorded non-init ancestor, and each chain member's recorded facts. Reads: the chain
 * (one chain statement), the tree (one statement for every alive link), the alive
 * instances once more for exit codes and evidence, three lookups per chain member.
 * Throws NoProcessAtTimeError as ancestryAt does.
 */
export async function reportData(store: HistoryStore, query: ReportQuery): Promise<ReportData> {
  return store.read((reader) => reportDataInSnapshot(reader, query));
}

/** `reportData` inside a caller's `read`. */
export async function reportDataInSnapshot(r: HistoryReader, query: ReportQuery): Promise<ReportData> {
  const serial = query.atSerial !== undefined ? { atSerial: query.atSerial } : {};
  const ancestry = query.ancestry ?? (await ancestryAtInSnapshot(r, { pid: query.pid, atNs: query.atNs, ...serial, ...(query.host !== undefined ? { host: query.host } : {}) }));
  const host = ancestry.host;
  const chain: ReportChainLink[] = [];
  for (const link of ancestry.chain) chain.push(await chainLink(r, link, query.atNs));
  const top = [...ancestry.chain].reverse().find((l) => l.instanceId !== undefined && l.pid !== INIT_PID) ?? ancestry.chain[0]!;
  const tree = await treeAtInSnapshot(r, { host, atNs: query.atNs, pid: top.pid, ...serial });
  // Parent kinds, exit codes and start records of the tree's nodes: two statements for all of them.
  const links = new Map<number, ChainRow>();
  for (const l of await aliveLinksAtEvent(r, host, query.atNs, query.atSerial)) links.set(l.instance.id, l);
  const rows = new Map<number, InstanceRow>();
  for (const inst of await r.overlapping(host, query.atNs, query.atNs)) rows.set(inst.id, inst);
  const onChain = new Set<number>();
  for (const l of ancestry.chain) if (l.instanceId !== undefined) onChain.add(l.instanceId);
  const toNode = (n: TreeNode): ReportTreeNode => treeNode(n, rows.get(n.instanceId), links.get(n.instanceId)?.parent, onChain, toNode);
  const data: ReportData = {
    host,
    atNs: query.atNs,
    pid: query.pid,
    chain,
    chainComplete: ancestry.complete,
    uncertain: ancestry.uncertain,
    notes: ancestry.notes,
    tree: { roots: tree.roots.map(toNode), count: tree.count, notes: tree.notes },
  };
  if (query.atSerial !== undefined) data.atSerial = query.atSerial;
  if (ancestry.outsideHistory !== undefined) data.outsideHistory = ancestry.outsideHistory;
  const historyEndNs = await r.historyEndNs(host);
  if (historyEndNs !== undefined) data.historyEndNs = historyEndNs;
  return data;
}

async function chainLink(r: HistoryReader, link: AncestryLink, atNs: bigint): Promise<ReportChainLink> {
  const out: ReportChainLink = { ...link, facts: [] };
  if (link.instanceId === undefined) return out;
  const [inst, parents, images] = await Promise.all([r.instance(link.instanceId), r.parents(link.instanceId), r.images(link.instanceId)]);
  const parentNow = [...parents].reverse().find((p) => p.sinceNs <= atNs) ?? parents[0];
  if (parentNow !== undefined) out.parentKind = parentNow.kind;
  if (inst !== undefined) {
    if (inst.exitCode !== undefined) out.exitCode = inst.exitCode;
    if (inst.exitSignal !== undefined) out.exitSignal = inst.exitSignal;
    if (inst.endCertainty === 'inferred') out.endInferred = true;
    if (inst.endReason !== undefined) out.endReason = inst.endReason;
  }
  out.facts = factsOf(inst, parents, images);
  return out;
}

/** Start, parent changes, images and end of one instance as facts, oldest first. */
export function factsOf(inst: InstanceRow | undefined, parents: ParentRow[], images: ImageRow[]): ReportFact[] {
  const facts: ReportFact[] = [];
  const add = (atNs: bigint, kind: string, text: string, evidence: StoredEvidence | undefined): void => {
    facts.push(evidence === undefined ? { atNs, kind, text } : { atNs, kind, text, evidence });
  };
  if (inst !== undefined) {
    const how = inst.startKnown ? (inst.creatorPid !== undefined ? `forked by ${inst.creatorPid}` : 'started') : 'first recorded (started earlier, time unknown)';
    add(inst.startNs, inst.startKnown ? 'fork' : 'seen', how, inst.startEvidence);
  }
  for (const p of parents) add(p.sinceNs, p.kind, `parent ${p.ppid} (${p.kind})`, p.evidence);
  for (const im of images) {
    const who = im.user ?? (im.uid !== undefined ? `uid=${im.uid}` : undefined);
    const text = `${im.kind} ${commandOf(im) || '?'}${im.exe !== undefined ? `  exe=${im.exe}` : ''}${who !== undefined ? `  user=${who}` : ''}`;
    add(im.sinceNs, im.kind, text, im.evidence);
  }
  if (inst?.endNs !== undefined) {
    const code = inst.exitSignal !== undefined ? `signal ${inst.exitSignal}` : inst.exitCode !== undefined ? `code ${inst.exitCode}` : '';
    const text =
      inst.endCertainty === 'inferred'
        ? `end inferred: ${inst.endReason ?? 'no exit record'} (no exit record; gone by then${code ? `, ${code}` : ''})`
        : `exited${code ? ` ${code}` : ''}`;
    add(inst.endNs, inst.endCertainty === 'inferred' ? 'end' : 'exit', text, inst.endEvidence);
  }
  // Stable: at one instant, the order above (start, parent, image, end) is the causal one.
  return facts.map((f, i) => ({ f, i })).sort((a, b) => (a.f.atNs < b.f.atNs ? -1 : a.f.atNs > b.f.atNs ? 1 : a.i - b.i)).map((x) => x.f);
}

function treeNode(n: TreeNode, row: InstanceRow | undefined, parent: ParentRow | undefined, onChain: Set<number>, map: (n: TreeNode) => ReportTreeNode): ReportTreeNode {
  const node: ReportTreeNode = { pid: n.pid, instanceId: n.instanceId, startNs: n.startNs, startKnown: n.startKnown, cmd: n.cmd, children: n.children.map(map) };
  if (n.ppid !== undefined) node.ppid = n.ppid;
  if (n.endNs !== undefined) node.endNs = n.endNs;
  if (n.endInferred === true) node.endInferred = true;
  if (n.exe !== undefined) node.exe = n.exe;
  if (n.user !== undefined) node.user = n.user;
  if (n.uid !== undefined) node.uid = n.uid;
  if (n.notes !== undefined) node.notes = n.notes;
  if (onChain.has(n.instanceId)) node.onChain = true;
  if (parent !== undefined) node.parentKind = parent.kind;
  if (row?.exitCode !== undefined) node.exitCode = row.exitCode;
  if (row?.exitSignal !== undefined) node.exitSignal = row.exitSignal;
  if (n.endInferred === true && row?.endReason !== undefined) node.endReason = row.endReason;
  if (row?.startEvidence !== undefined) node.startEvidence = row.startEvidence;
  if (row?.endEvidence !== undefined) node.endEvidence = row.endEvidence;
  return node;
}
