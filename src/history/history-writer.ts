import type { EndCertainty, ImageFields, ImageKind, ParentKind } from './history-types.js';

export type { ImageFields } from './history-types.js';

/** Evidence as the writer stores it: the source's row id instead of its path. */
export interface WriteEvidence {
  src?: number;
  off?: number;
  line?: number;
  rec?: string;
}

export interface NewInstance {
  hostId: number;
  pid: number;
  startNs: bigint;
  startKnown: boolean;
  creatorPid?: number;
  creatorId?: number;
  evidence?: WriteEvidence;
}

export interface NewParent {
  instanceId: number;
  sinceNs: bigint;
  ppid: number;
  parentId?: number;
  kind: ParentKind;
  evidence?: WriteEvidence;
}

export interface InstanceEnd {
  endNs: bigint;
  certainty: EndCertainty;
  reason?: string;
  exitCode?: number;
  exitSignal?: number;
  evidence?: WriteEvidence;
}

/** What the history builder restores after a restart: an instance with no end yet. */
export interface OpenInstance {
  id: number;
  hostId: number;
  pid: number;
  startNs: bigint;
  startKnown: boolean;
  creatorId?: number;
  ppid?: number;
  parentId?: number;
  /** Set when the latest parent row is an unconfirmed `orphaned` one. */
  orphanRowId?: number;
  image?: ImageFields;
}

/** The newest instance that held a pid (to refine a recent end or merge a late fork). */
export interface LastInstance {
  id: number;
  startNs: bigint;
  startKnown: boolean;
  endNs?: bigint;
  endCertainty?: EndCertainty;
}

/** An instance's parent rows in brief (asked only for "seen since" instances: rare). */
export interface ParentSummary {
  /** The latest parent row's ppid. */
  ppid?: number;
  /** True when it has more than one parent row (a reparent: then it is not a mere early sighting). */
  hasHistory: boolean;
}

/**
 * Write side of the history, used by the history builder. Calls happen inside a batch
 * (begin/commit) so thousands of rows share one transaction.
 */
export interface HistoryWriter {
  hostId(name: string): number;
  insertInstance(row: NewInstance): number;
  /** A "seen since" instance turned out to be the child of a fork record that came late. */
  setForkStart(id: number, startNs: bigint, creatorPid: number, creatorId: number | undefined, evidence?: WriteEvidence): void;
  endInstance(id: number, end: InstanceEnd): void;
  /** Returns the row's id (an orphan row is updated once the reaper is known). */
  insertParent(row: NewParent): number;
  /** Sets the reaper of an `orphaned` row once evidence names it. */
  resolveOrphanRow(rowId: number, ppid: number, parentId: number | undefined): void;
  /** Rewrites the first-evidence parent row of a merged instance into its fork row. */
  setFirstParentFromFork(instanceId: number, row: Omit<NewParent, 'instanceId'>): void;
  insertImage(instanceId: number, sinceNs: bigint, kind: ImageKind, image: ImageFields, evidence?: WriteEvidence): void;
  insertLoss(hostId: number, atNs: bigint, count: number | undefined, reason: string, evidence?: WriteEvidence): void;
  lastInstance(hostId: number, pid: number): LastInstance | undefined;
  parentSummary(instanceId: number): ParentSummary;
  /** Instances without an end (of one host when given). */
  openInstances(hostId?: number): OpenInstance[];
  getState(key: string): string | undefined;
  setState(key: string, value: string | undefined): void;
}
