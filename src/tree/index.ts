/** The process tree: types, stores, event handling and queries (crate: the top-level items). */
export type { PidNode, ProcInfo, ProcessLink } from './types.js';
export type { TreeStore, CacheStore } from './stores.js';
export { DefaultStore, type Clock, type DefaultStoreOptions } from './default-store.js';
export { DefaultTree, DefaultCache } from './default-tree.js';
export { snapshot, type SnapshotSummary } from './snapshot.js';
export { resolve } from './resolve.js';
export { handleEvent, handleEvents } from './handle-event.js';
export type { HandleEventOptions } from './handle-options.js';
export { MAX_PENDING_FORKS } from './pending-forks.js';
export { buildChainLinks, buildChainString, formatLink, isDescendant, MAX_CHAIN_LENGTH } from './chain.js';
export { children, descendants, siblings, treeLen, childIndex, MAX_TREE_WALK } from './relatives.js';
export { findByCmd, findByUser } from './find.js';
export { display, rootPids } from './display.js';
export { couldBeParent } from './start-order.js';
export { seedAncestry } from './seed-ancestry.js';
export { commFromPath } from './merge-info.js';
