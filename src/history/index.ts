/** The history store: ProcEvents -> SQLite, and the queries at any past time. */
export { openHistoryDb, HISTORY_APPLICATION_ID } from './open-history-db.js';
export { openSqliteHistoryStore, SqliteHistoryStore } from './sqlite-history-store.js';
export { openHistoryStore, locateHistory, DEFAULT_HISTORY_DB, type HistoryLocation, type OpenHistoryStoreOptions } from './open-history-store.js';
export { WritableHistory } from './history-database.js';
export { HistoryBuilder, type HistoryBuilderStats, LATE_FORK_MERGE_NS, MAX_PENDING_THREADS, PENDING_THREAD_TTL_NS } from './history-builder.js';
export type { ChainRow, HistoryReader, HistoryStore, ImageMatch } from './history-store.js';
export type * from './history-types.js';
export { ancestryAt, ancestryAtInSnapshot, type AncestryQuery, type AncestryResult, type AncestryLink, type Lineage } from './ancestry-at.js';
export { treeAt, treeAtInSnapshot, type TreeNode, type TreeQuery, type TreeResult } from './tree-at.js';
export { outsideHistory, historySpanText, type OutsideHistory } from './history-span.js';
export { descendants, descendantsInSnapshot, type DescendantsQuery, type DescendantsResult } from './descendants.js';
export { findProcesses, findProcessesInSnapshot, type FindQuery, type FoundProcess } from './find-processes.js';
export { timeline, timelineInSnapshot, type TimelineEntry, type TimelineQuery, type TimelineResult } from './timeline.js';
export { imageAt, commandOf } from './image-at.js';
export { NoProcessAtTimeError } from './query-errors.js';
