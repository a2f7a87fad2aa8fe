import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, test } from 'vitest';
import { DefaultStore } from '../../src/tree/default-store.js';

describe('DefaultStore without TTL', () => {
  test('keeps values until deleted or cleared', () => {
    const store = new DefaultStore<number, string>();
    store.set(1, 'init');
    store.set(2, 'kthreadd');
    store.set(1, 'systemd');
    expect(store.get(1)).toBe('systemd');
    expect(store.size).toBe(2);
    expect(store.keys().sort()).toEqual([1, 2]);
    expect(store.delete(2)).toBe(true);
    expect(store.has(2)).toBe(false);
    store.clear();
    expect(store.size).toBe(0);
  });

  test('rejects a negative or non-finite TTL', () => {
    expect(() => new DefaultStore({ ttlMs: -1 })).toThrow(RangeError);
    expect(() => new DefaultStore({ ttlMs: Number.NaN })).toThrow(RangeError);
  });
});

describe('DefaultStore with TTL on the real clock', () => {
  test('an entry disappears once its TTL has passed, a later write lives on', async () => {
    const store = new DefaultStore<number, string>({ ttlMs: 50 });
    store.set(1, 'old');
    expect(store.get(1)).toBe('old');
    await sleep(60);
    store.set(2, 'new');
    expect(store.get(1)).toBeUndefined();
    expect(store.get(2)).toBe('new');
    expect(store.keys()).toEqual([2]);
  });

  test('evictExpired reclaims expired entries that were never read', async () => {
    const store = new DefaultStore<number, string>({ ttlMs: 50 });
    for (let pid = 1; pid <= 10; pid++) store.set(pid, `p${pid}`);
    expect(store.size).toBe(10);
    await sleep(70);
    expect(store.size).toBe(10); // lazily kept, like the crate's len
    expect(store.evictExpired()).toBe(10);
    expect(store.size).toBe(0);
  });
});

describe('DefaultStore with an injected clock', () => {
  test('expires exactly at the TTL boundary of the given clock', () => {
    let now = 1000;
    const store = new DefaultStore<number, string>({ ttlMs: 100, clock: () => now });
    store.set(7, 'x');
    now = 1099;
    expect(store.get(7)).toBe('x');
    now = 1100;
    expect(store.get(7)).toBeUndefined();
    expect(store.size).toBe(0); // the read deleted it
  });

  test('a rewrite restarts the TTL', () => {
    let now = 0;
    const store = new DefaultStore<number, string>({ ttlMs: 100, clock: () => now });
    store.set(1, 'a');
    now = 90;
    store.set(1, 'b');
    now = 150;
    expect(store.get(1)).toBe('b');
    now = 190;
    expect(store.get(1)).toBeUndefined();
  });
});
