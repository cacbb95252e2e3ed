// An open-addressing hash table from uint32 keys to uint32 values on typed arrays (linear probing,
// Fibonacci hashing, growth by rehash into twice the capacity at 3/4 load). It holds the vocabularies:
// no JS Map/Object (V8 Maps stop at 2^24 entries and cost ~50+ bytes per entry); this costs 8 bytes per
// slot, i.e. at most 8 / 0.375 ≈ 21 bytes per entry right after a growth and 8 / 0.75 at best.
// The value 0xFFFFFFFF marks an empty slot and cannot be stored.

export const EMPTY_VALUE = 0xffffffff;
const MIN_CAPACITY_LOG2 = 10;
const MAX_LOAD = 0.75;

export class U32HashTable {
  private keys: Uint32Array;
  private values: Uint32Array;
  private shift: number;
  private mask: number;
  private limit: number;
  private count = 0;

  constructor(expectedEntries = 0) {
    let log2 = MIN_CAPACITY_LOG2;
    while ((1 << log2) * MAX_LOAD < expectedEntries && log2 < 30) log2++;
    this.keys = new Uint32Array(1 << log2);
    this.values = new Uint32Array(1 << log2).fill(EMPTY_VALUE);
    this.shift = 32 - log2;
    this.mask = (1 << log2) - 1;
    this.limit = Math.floor((1 << log2) * MAX_LOAD);
  }

  /** Number of keys stored. */
  get size(): number {
    return this.count;
  }

  /** Number of slots (a power of two). */
  get capacity(): number {
    return this.keys.length;
  }

  /** Bytes held by the two slot arrays. */
  get bytes(): number {
    return this.keys.byteLength + this.values.byteLength;
  }

  private slotOf(key: number): number {
    const keys = this.keys, values = this.values, mask = this.mask;
    let s = Math.imul(key, 0x9e3779b1) >>> this.shift;
    while (values[s] !== EMPTY_VALUE && keys[s] !== key) s = (s + 1) & mask;
    return s;
  }

  /** The value of `key`, or -1 when absent. */
  get(key: number): number {
    const s = this.slotOf(key);
    const v = this.values[s];
    return v === EMPTY_VALUE ? -1 : v;
  }

  /** The value of `key`; when absent, stores `value` for it first and returns it. */
  getOrAdd(key: number, value: number): number {
    const s = this.slotOf(key);
    const v = this.values[s];
    if (v !== EMPTY_VALUE) return v;
    this.insertAt(s, key, value);
    return value;
  }

  /** Stores `value` for `key` (replacing any previous value). */
  set(key: number, value: number): void {
    const s = this.slotOf(key);
    if (this.values[s] !== EMPTY_VALUE) this.values[s] = value;
    else this.insertAt(s, key, value);
  }

  /** Adds `delta` to the value of `key` (absent keys start at 0), saturating at `max`; returns the new value. */
  add(key: number, delta: number, max = 0x7fffffff): number {
    const s = this.slotOf(key);
    const v = this.values[s];
    if (v === EMPTY_VALUE) {
      const first = Math.min(delta, max);
      this.insertAt(s, key, first);
      return first;
    }
    const next = Math.min(v + delta, max);
    this.values[s] = next;
    return next;
  }

  /** Calls fn(key, value) for every entry, in slot order. */
  forEach(fn: (key: number, value: number) => void): void {
    const keys = this.keys, values = this.values;
    for (let s = 0; s < keys.length; s++) if (values[s] !== EMPTY_VALUE) fn(keys[s], values[s]);
  }

  /** Replaces every value v by fn(key, v) in place. */
  mapValues(fn: (key: number, value: number) => number): void {
    const keys = this.keys, values = this.values;
    for (let s = 0; s < keys.length; s++) if (values[s] !== EMPTY_VALUE) values[s] = fn(keys[s], values[s]);
  }

  private insertAt(slot: number, key: number, value: number): void {
    if (value === EMPTY_VALUE) throw new RangeError('U32HashTable: 0xFFFFFFFF cannot be stored as a value');
    this.keys[slot] = key;
    this.values[slot] = value;
    this.count++;
    if (this.count > this.limit) this.grow();
  }

  private grow(): void {
    const oldKeys = this.keys, oldValues = this.values;
    const log2 = 32 - this.shift + 1;
    if (log2 > 30) throw new RangeError('U32HashTable: more than 2^30 slots needed');
    this.keys = new Uint32Array(1 << log2);
    this.values = new Uint32Array(1 << log2).fill(EMPTY_VALUE);
    this.shift = 32 - log2;
    this.mask = (1 << log2) - 1;
    this.limit = Math.floor((1 << log2) * MAX_LOAD);
    const keys = this.keys, values = this.values, mask = this.mask, shift = this.shift;
    for (let i = 0; i < oldKeys.length; i++) {
      const v = oldValues[i];
      if (v === EMPTY_VALUE) continue;
      const k = oldKeys[i];
      let s = Math.imul(k, 0x9e3779b1) >>> shift;
      while (values[s] !== EMPTY_VALUE) s = (s + 1) & mask;
      keys[s] = k;
      values[s] = v;
    }
  }
}
