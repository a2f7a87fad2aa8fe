import { DefaultStore } from './default-store.js';
import type { CacheStore, TreeStore } from './stores.js';
import type { PidNode, ProcInfo } from './types.js';

/** In-memory TreeStore (crate: `DefaultTree = DefaultStore<PidNode>`). */
export class DefaultTree extends DefaultStore<number, PidNode> implements TreeStore {
  getNode(pid: number): PidNode | undefined {
    return this.get(pid);
  }

  insertNode(pid: number, node: PidNode): void {
    this.set(pid, node);
  }

  allPids(): number[] {
    return this.keys();
  }
}

/** In-memory CacheStore (crate: `DefaultCache = DefaultStore<ProcInfo>`). */
export class DefaultCache extends DefaultStore<number, ProcInfo> implements CacheStore {
  getInfo(pid: number): ProcInfo | undefined {
    return this.get(pid);
  }

  insertInfo(pid: number, info: ProcInfo): void {
    this.set(pid, info);
  }
}
