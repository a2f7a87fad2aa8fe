import type { CacheStore, TreeStore } from './stores.js';

/**
 * Pids whose task name equals cmd exactly, ascending. The node's name is used; when the
 * tree has none yet (a fork not followed by an exec), the cached info's name.
 */
export function findByCmd(tree: TreeStore, cmd: string, cache?: CacheStore): number[] {
  return tree
    .allPids()
    .filter((pid) => {
      const name = tree.getNode(pid)?.cmd || cache?.getInfo(pid)?.cmd;
      return name === cmd;
    })
    .sort((a, b) => a - b);
}

/**
 * Pids in the tree whose cached user name equals user, ascending. A numeric string also
 * matches the uid, so accounts missing from /etc/passwd can be found.
 */
export function findByUser(tree: TreeStore, cache: CacheStore, user: string): number[] {
  const uid = /^\d+$/.test(user) ? Number(user) : undefined;
  return tree
    .allPids()
    .filter((pid) => {
      const info = cache.getInfo(pid);
      return info !== undefined && (info.user === user || info.uid === uid);
    })
    .sort((a, b) => a - b);
}
