/**
 * The last `capacity` values computed from a text (an EXECVE record's fields, a hex
 * proctitle), found by the text's length first and then compared whole. A Map keyed by the
 * text would hash all of it on every lookup, and these texts run to kilobytes (a 400-argument
 * EXECVE record is ~9 kB); a length lookup and one comparison on a hit cost much less.
 *
 * The keys stored must not be slices of a log piece (see `detach` in decode-value.ts): they
 * live as long as the entry. Oldest entry out first.
 */
export class RecentByText<V> {
  private readonly byLength = new Map<number, Entry<V>[]>();
  private readonly ring: (Entry<V> | undefined)[];
  private next = 0;

  constructor(private readonly capacity: number) {
    this.ring = new Array<Entry<V> | undefined>(capacity).fill(undefined);
  }

  /** The entry whose key equals `text`, if it is among the last `capacity` stored. */
  get(text: string): Entry<V> | undefined {
    const list = this.byLength.get(text.length);
    if (list === undefined) return undefined;
    for (let i = 0; i < list.length; i++) if (list[i]!.key === text) return list[i];
    return undefined;
  }

  /** Stores `value` under `key` (a detached copy), replacing the value of an equal key. */
  set(key: string, value: V): void {
    const same = this.get(key);
    if (same !== undefined) {
      same.value = value;
      return;
    }
    const old = this.ring[this.next];
    if (old !== undefined) {
      const list = this.byLength.get(old.key.length)!;
      if (list.length === 1) this.byLength.delete(old.key.length);
      else list.splice(list.indexOf(old), 1);
    }
    const entry: Entry<V> = { key, value };
    this.ring[this.next] = entry;
    this.next = (this.next + 1) % this.capacity;
    const list = this.byLength.get(key.length);
    if (list === undefined) this.byLength.set(key.length, [entry]);
    else list.push(entry);
  }
}

export interface Entry<V> {
  readonly key: string;
  value: V;
}
