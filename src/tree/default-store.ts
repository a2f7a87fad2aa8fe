/** Milliseconds since some fixed origin; must not go backwards across calls. */
export type Clock = () => number;

export interface DefaultStoreOptions {
  /** Entries older than this many ms since their last write are dropped. 0 or absent: never. */
  ttlMs?: number;
  /** Time source for the TTL; defaults to the real clock. Injected by callers that replay time. */
  clock?: Clock;
}

interface Entry<V> {
  value: V;
  writtenAt: number;
}

/**
 * A Map with optional time-to-live eviction (crate: `DefaultStore`). Expiry counts from
 * the last write, so a process that keeps getting events stays. Expired entries vanish
 * from reads immediately and are deleted lazily; call `evictExpired` to reclaim memory in
 * a long-running watcher.
 */
export class DefaultStore<K, V> {
  readonly #entries = new Map<K, Entry<V>>();
  readonly #ttlMs: number;
  readonly #clock: Clock;

  constructor(options: DefaultStoreOptions = {}) {
    const ttlMs = options.ttlMs ?? 0;
    if (!(ttlMs >= 0) || !Number.isFinite(ttlMs)) throw new RangeError(`ttlMs must be a finite number >= 0, got ${ttlMs}`);
    this.#ttlMs = ttlMs;
    this.#clock = options.clock ?? Date.now;
  }

  #expired(entry: Entry<V>, now: number): boolean {
    return this.#ttlMs > 0 && now - entry.writtenAt >= this.#ttlMs;
  }

  /** The value for a key, or undefined when absent or expired (an expired entry is deleted). */
  get(key: K): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (this.#expired(entry, this.#clock())) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Inserts or replaces a value and restarts its TTL. */
  set(key: K, value: V): void {
    this.#entries.set(key, { value, writtenAt: this.#clock() });
  }

  /** True when a live (unexpired) value exists. */
  has(key: K): boolean {
    return this.get(key) !== undefined;
  }

  /** Removes a key; true when it was present (expired or not). */
  delete(key: K): boolean {
    return this.#entries.delete(key);
  }

  /** Keys of live entries. */
  keys(): K[] {
    const now = this.#clock();
    const keys: K[] = [];
    for (const [key, entry] of this.#entries) if (!this.#expired(entry, now)) keys.push(key);
    return keys;
  }

  /** Deletes every expired entry and returns how many went. */
  evictExpired(): number {
    const now = this.#clock();
    let evicted = 0;
    for (const [key, entry] of this.#entries) {
      if (this.#expired(entry, now)) {
        this.#entries.delete(key);
        evicted++;
      }
    }
    return evicted;
  }

  /** Number of stored entries, including expired ones not evicted yet (like the crate's `len`). */
  get size(): number {
    return this.#entries.size;
  }

  clear(): void {
    this.#entries.clear();
  }
}
